namespace CharLstm.Training;

/// <summary>Global-norm gradient clipping and the guarded optimizer step.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> so their global L2 norm is at most <paramref name="maxNorm"/>
    /// (PyTorch's <c>clip_grad_norm_</c>: coefficient min(1, max/(norm + 1e-6))) and returns the norm
    /// before clipping. <paramref name="maxNorm"/> ≤ 0 only measures. A non-finite norm is returned
    /// unchanged and the gradients are left alone.
    /// </summary>
    public static double ClipByGlobalNorm(Span<float> gradients, double maxNorm)
    {
        double sum = 0;
        foreach (float g in gradients) sum += (double)g * g;
        double norm = Math.Sqrt(sum);
        if (maxNorm > 0 && double.IsFinite(norm))
        {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1)
            {
                float c = (float)coef;
                for (int i = 0; i < gradients.Length; i++) gradients[i] *= c;
            }
        }
        return norm;
    }
}
