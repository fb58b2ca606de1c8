using CharLstm.Numerics;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>How one benchmark run is made. Defaults follow the PyTorch peer.</summary>
/// <param name="Config">Model and batch.</param>
/// <param name="Mode">What to measure.</param>
/// <param name="GenBatch">Streams sampled at once in <see cref="BenchmarkMode.Generate"/>.</param>
/// <param name="Threads">Compute threads.</param>
/// <param name="Seconds">Minimum measured seconds per repetition (per shape in sgemm).</param>
/// <param name="Reps">Repetitions.</param>
/// <param name="Warmup">Untimed steps before measuring.</param>
/// <param name="Seed">Seed of the model's initialisation, the random batches and the sampler.</param>
/// <param name="Profile">Training and generation: also time each phase of the step (adds a timestamp per phase; reported as <c>profile</c>).</param>
/// <param name="Overrides">Preset fields overridden on the command line (recorded in the output); null: none.</param>
public sealed record BenchmarkSettings(
    BenchmarkConfig Config, BenchmarkMode Mode = BenchmarkMode.Train, int GenBatch = 1, int Threads = 1,
    double Seconds = 5, int Reps = 5, int Warmup = 3, ulong Seed = 1234, bool Profile = false,
    IReadOnlyDictionary<string, int>? Overrides = null)
{
    /// <summary>Preset fields overridden on the command line (recorded in the output).</summary>
    public IReadOnlyDictionary<string, int> Overrides { get; init; } = Overrides ?? new Dictionary<string, int>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Config.Model.Validate();
        if (Config.Batch < 1 || Config.Seq < 1) throw new ArgumentException($"batch and seq must be at least 1, got {Config.Batch} and {Config.Seq}.");
        if (GenBatch < 1) throw new ArgumentException($"--gen-batch must be at least 1, got {GenBatch}.");
        if (!ComputeThreads.IsValid(Threads)) throw new ArgumentException(ComputeThreads.RangeMessage("--threads", Threads));
        if (!(Seconds > 0) || double.IsInfinity(Seconds)) throw new ArgumentException($"--seconds must be positive, got {Seconds}.");
        if (Reps < 1) throw new ArgumentException($"--reps must be at least 1, got {Reps}.");
        if (Warmup < 0) throw new ArgumentException($"--warmup must be 0 or more, got {Warmup}.");
    }
}
