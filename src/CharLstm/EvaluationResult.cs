using CharLstm.Training;

namespace CharLstm;

/// <summary>Loss of a model on a text.</summary>
/// <param name="Loss">Mean loss and count of scored characters.</param>
/// <param name="UnknownSkipped">Characters dropped because the vocabulary lacks them.</param>
public sealed record EvaluationResult(LossSum Loss, long UnknownSkipped);
