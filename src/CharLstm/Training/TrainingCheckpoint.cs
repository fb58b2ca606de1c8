using CharLstm.Model;

namespace CharLstm.Training;

/// <summary>
/// Everything exact resume needs, beyond the options: the parameters, optimizer moments and step,
/// the random generator, the data cursor, the carried hidden state, counters and the metrics so far.
/// Written by <c>CheckpointFile</c> into its own file beside the model.
/// </summary>
public sealed class TrainingCheckpoint
{
    /// <summary>Resolved options of the run.</summary>
    public required TrainingOptions Options { get; init; }
    /// <summary>The model's shape.</summary>
    public required ModelConfig Config { get; init; }
    /// <summary>All parameters, flat, in layout order.</summary>
    public required float[] Parameters { get; init; }
    /// <summary>The vocabulary, one Unicode scalar per entry.</summary>
    public required string[] Vocabulary { get; init; }
    /// <summary>Name of the training corpus.</summary>
    public required string CorpusName { get; init; }
    /// <summary>sha256 of the training corpus' bytes; resume refuses another corpus.</summary>
    public required string CorpusSha256 { get; init; }
    /// <summary><c>adam</c>, <c>rmsprop</c> or <c>sgd</c>.</summary>
    public required string OptimizerName { get; init; }
    /// <summary>Optimizer steps taken (Adam's bias correction needs it).</summary>
    public required long OptimizerSteps { get; init; }
    /// <summary>Optimizer state buffers by name, each as long as <see cref="Parameters"/>.</summary>
    public required IReadOnlyDictionary<string, float[]> OptimizerBuffers { get; init; }
    /// <summary>State of the training random generator (dropout).</summary>
    public required ulong[] RngState { get; init; }
    /// <summary>Epoch of the next batch.</summary>
    public required int Epoch { get; init; }
    /// <summary>Index of the next batch within its epoch.</summary>
    public required int BatchIndex { get; init; }
    /// <summary>Carried hidden state, (layers, batch, hidden).</summary>
    public required float[] StateH { get; init; }
    /// <summary>Carried cell state, (layers, batch, hidden).</summary>
    public required float[] StateC { get; init; }
    /// <summary>Steps taken (including skipped ones).</summary>
    public required long Step { get; init; }
    /// <summary>Training characters processed.</summary>
    public required long CharactersSeen { get; init; }
    /// <summary>Steps skipped for non-finite values.</summary>
    public required long SkippedSteps { get; init; }
    /// <summary>Skipped steps in a row at the time of the checkpoint.</summary>
    public required int ConsecutiveSkipped { get; init; }
    /// <summary>Best validation loss so far (NaN: none yet).</summary>
    public required double BestValidationLoss { get; init; }
    /// <summary>Training wall time so far, for the time budget.</summary>
    public required double ElapsedSeconds { get; init; }
    /// <summary>Metrics rows so far.</summary>
    public required IReadOnlyList<MetricRow> Metrics { get; init; }
}
