namespace CharLstm.Training;

/// <summary>A validation pass.</summary>
/// <param name="Step">Steps taken when it ran.</param>
/// <param name="Epoch">Epoch.</param>
/// <param name="Loss">Validation loss.</param>
/// <param name="IsBest">Lowest so far.</param>
/// <param name="EpochEnd">Run at the end of an epoch.</param>
public sealed record EvaluationReport(long Step, int Epoch, LossSum Loss, bool IsBest, bool EpochEnd);
