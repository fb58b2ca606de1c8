namespace CharLstm.Training;

/// <summary>Progress after one optimizer step.</summary>
/// <param name="Step">Steps taken so far.</param>
/// <param name="Horizon">Steps planned (epochs × batches, or --max-steps).</param>
/// <param name="Epoch">Epoch of the step (0-based).</param>
/// <param name="CharactersSeen">Training characters processed.</param>
/// <param name="Elapsed">Training wall time.</param>
/// <param name="CharactersPerSecond">Throughput over the recent steps.</param>
/// <param name="Loss">This step's training loss (nats/char).</param>
/// <param name="LearningRate">Rate used.</param>
/// <param name="GradientNorm">Pre-clip global gradient norm.</param>
/// <param name="Skipped">The step was skipped (non-finite).</param>
/// <param name="LastValidationLoss">Most recent validation loss (NaN: none yet).</param>
/// <param name="Remaining">Estimated time left, from the step horizon or the time budget, whichever ends first.</param>
public sealed record StepReport(long Step, long Horizon, int Epoch, long CharactersSeen, TimeSpan Elapsed, double CharactersPerSecond,
    float Loss, double LearningRate, double GradientNorm, bool Skipped, double LastValidationLoss, TimeSpan? Remaining);
