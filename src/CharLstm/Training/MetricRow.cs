namespace CharLstm.Training;

/// <summary>One row of the metrics log.</summary>
/// <param name="Step">Optimizer steps taken so far.</param>
/// <param name="Epoch">Epoch (0-based) of the last step.</param>
/// <param name="CharactersSeen">Training characters processed so far.</param>
/// <param name="ElapsedSeconds">Training wall time so far.</param>
/// <param name="LearningRate">Rate used by the last step.</param>
/// <param name="TrainLoss">Mean training loss (nats/char) since the previous row.</param>
/// <param name="GradientNorm">Mean pre-clip gradient norm since the previous row.</param>
/// <param name="ValidationLoss">Validation loss (nats/char) when this row is an evaluation, else NaN.</param>
public sealed record MetricRow(long Step, int Epoch, long CharactersSeen, double ElapsedSeconds, double LearningRate,
    double TrainLoss, double GradientNorm, double ValidationLoss);
