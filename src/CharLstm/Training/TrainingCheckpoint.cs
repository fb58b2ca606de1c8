using CharLstm.Model;

namespace CharLstm.Training;

/// <summary>
/// Everything exact resume needs, beyond the options: the parameters, optimizer moments and step,
/// the random generator, the data cursor, the carried hidden state, counters and the metrics so far.
/// Written by <c>CheckpointFile</c> into its own file beside the model.
/// </summary>
/// <param name="Options">Resolved options of the run.</param>
/// <param name="Config">The model's shape.</param>
/// <param name="Parameters">All parameters, flat, in layout order.</param>
/// <param name="Vocabulary">The vocabulary, one Unicode scalar per entry.</param>
/// <param name="CorpusName">Name of the training corpus.</param>
/// <param name="CorpusSha256">sha256 of the training corpus' bytes; resume refuses another corpus.</param>
/// <param name="OptimizerName"><c>adam</c>, <c>rmsprop</c> or <c>sgd</c>.</param>
/// <param name="OptimizerSteps">Optimizer steps taken (Adam's bias correction needs it).</param>
/// <param name="OptimizerBuffers">Optimizer state buffers by name, each as long as <see cref="Parameters"/>.</param>
/// <param name="RngState">State of the training random generator (dropout).</param>
/// <param name="Epoch">Epoch of the next batch.</param>
/// <param name="BatchIndex">Index of the next batch within its epoch.</param>
/// <param name="StateH">Carried hidden state, (layers, batch, hidden).</param>
/// <param name="StateC">Carried cell state, (layers, batch, hidden).</param>
/// <param name="Step">Steps taken (including skipped ones).</param>
/// <param name="CharactersSeen">Training characters processed.</param>
/// <param name="SkippedSteps">Steps skipped for non-finite values.</param>
/// <param name="ConsecutiveSkipped">Skipped steps in a row at the time of the checkpoint.</param>
/// <param name="BestValidationLoss">Best validation loss so far (NaN: none yet).</param>
/// <param name="ElapsedSeconds">Training wall time so far, for the time budget.</param>
/// <param name="Metrics">Metrics rows so far.</param>
public sealed record TrainingCheckpoint(
    TrainingOptions Options, ModelConfig Config, float[] Parameters, string[] Vocabulary,
    string CorpusName, string CorpusSha256,
    string OptimizerName, long OptimizerSteps, IReadOnlyDictionary<string, float[]> OptimizerBuffers,
    ulong[] RngState, int Epoch, int BatchIndex, float[] StateH, float[] StateC,
    long Step, long CharactersSeen, long SkippedSteps, int ConsecutiveSkipped,
    double BestValidationLoss, double ElapsedSeconds, IReadOnlyList<MetricRow> Metrics);
