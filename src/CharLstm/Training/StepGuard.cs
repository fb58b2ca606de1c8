namespace CharLstm.Training;

/// <summary>
/// Clips the gradients, refuses a step whose loss or gradients are not finite (the weights and the
/// optimizer state stay untouched, the skip is counted), and otherwise applies the optimizer.
/// </summary>
public sealed class StepGuard
{
    /// <summary>Guards <paramref name="optimizer"/> with global-norm clipping at <paramref name="clip"/> (≤ 0: no clipping).</summary>
    public StepGuard(Optimizer optimizer, double clip)
    {
        Optimizer = optimizer;
        Clip = clip;
    }

    /// <summary>The optimizer applied on good steps.</summary>
    public Optimizer Optimizer { get; }
    /// <summary>Maximum global gradient norm; ≤ 0 disables clipping.</summary>
    public double Clip { get; }
    /// <summary>Steps skipped so far because of non-finite values.</summary>
    public long SkippedSteps { get; set; }
    /// <summary>Skipped steps in a row, reset by a good step.</summary>
    public int ConsecutiveSkipped { get; set; }

    /// <summary>One guarded step.</summary>
    public StepOutcome Step(Span<float> parameters, Span<float> gradients, float loss)
    {
        double norm = GradientClipping.ClipByGlobalNorm(gradients, Clip);
        if (!float.IsFinite(loss) || !double.IsFinite(norm))
        {
            SkippedSteps++;
            ConsecutiveSkipped++;
            return new StepOutcome(norm, Skipped: true);
        }
        ConsecutiveSkipped = 0;
        Optimizer.Step(parameters, gradients);
        return new StepOutcome(norm, Skipped: false);
    }
}
