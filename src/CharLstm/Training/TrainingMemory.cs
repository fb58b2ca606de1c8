using System.Globalization;
using CharLstm.Model;

namespace CharLstm.Training;

/// <summary>
/// What a training run will hold in memory, estimated before anything is allocated, so a model too
/// large for the machine is refused with the figures instead of failing part-way.
/// </summary>
/// <param name="Parameters">The weights.</param>
/// <param name="Gradients">One gradient per weight.</param>
/// <param name="OptimizerState">The optimizer's moments or buffers (Adam two per weight, RMSprop and SGD one).</param>
/// <param name="Activations">What the training pass keeps for its backward, its scratch and packed weights.</param>
/// <param name="Evaluation">The validation pass (as large as the training pass at most).</param>
/// <param name="Saving">The copies a save makes: the checkpoint's parameters and optimizer state, the model file's tensors.</param>
public sealed record TrainingMemory(long Parameters, long Gradients, long OptimizerState, long Activations, long Evaluation, long Saving)
{
    /// <summary>All of it, in bytes.</summary>
    public long Total => Parameters + Gradients + OptimizerState + Activations + Evaluation + Saving;

    /// <summary>The estimate for training <paramref name="config"/> with <paramref name="options"/>.</summary>
    public static TrainingMemory Estimate(ModelConfig config, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        long weights = 4 * ParameterLayout.CountParameters(config);
        long moments = options.Optimizer == "adam" ? 2 : 1;
        long pass = NetworkPass.EstimateBytes(config, options.Batch, options.SeqLen, options.Threads);
        return new TrainingMemory(weights, weights, moments * weights, pass, pass, (2 + moments) * weights);
    }

    /// <summary>"12.3 GB (weights 1.1 GB, gradients …)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Gigabytes(Total)} (weights {Gigabytes(Parameters)}, gradients {Gigabytes(Gradients)}, optimizer state {Gigabytes(OptimizerState)}, "
        + $"activations {Gigabytes(Activations)}, validation {Gigabytes(Evaluation)}, saving {Gigabytes(Saving)})");

    /// <summary>Bytes as gigabytes with one decimal (at least 0.1 when not zero).</summary>
    public static string Gigabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(bytes / 1e9, bytes > 0 ? 0.1 : 0):F1} GB");
}
