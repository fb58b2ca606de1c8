namespace CharLstm.Training;

/// <summary>What one guarded optimizer step did.</summary>
/// <param name="GradientNorm">Global gradient norm before clipping (may be NaN or ∞ when skipped).</param>
/// <param name="Skipped">True when the loss or a gradient was not finite and the weights were left alone.</param>
public readonly record struct StepOutcome(double GradientNorm, bool Skipped);
