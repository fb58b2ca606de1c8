using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CharLstm.Training;

/// <summary>
/// Adam (Kingma &amp; Ba), PyTorch defaults: β = (0.9, 0.999), ε = 1e-8; a learning rate of 2e-3 when none is given (the
/// default preset's is <see cref="TrainingOptions.LearningRate"/>).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly float[] _m, _v; // (P) first and second moments

    /// <summary>Creates Adam for <paramref name="parameterCount"/> parameters.</summary>
    public Adam(int parameterCount, double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _m = new float[parameterCount]; _v = new float[parameterCount];
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon;
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }
    /// <summary>Added to the denominator.</summary>
    public double Epsilon { get; }
    /// <inheritdoc />
    public override string Name => "adam";
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, float[]> StateBuffers => new Dictionary<string, float[]> { ["exp_avg"] = _m, ["exp_avg_sq"] = _v };

    /// <inheritdoc />
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        // As torch.optim.Adam (single-tensor path): m ← m + (g − m)(1−β1); v ← β2 v + (1−β2) g²;
        // p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        float b1 = (float)(1 - Beta1), b2 = (float)Beta2, oneMinusB2 = (float)(1 - Beta2);
        float stepSize = (float)(LearningRate / bc1), invBc2Sqrt = (float)(1 / bc2Sqrt), eps = (float)Epsilon;
        int start = 0;
        if (WeightDecay == 0 && Vector256.IsHardwareAccelerated)
        {
            // The same operations lane by lane (no fused multiply-adds), so the same bits as the loop below.
            var vb1 = Vector256.Create(b1); var vb2 = Vector256.Create(b2); var v1mb2 = Vector256.Create(oneMinusB2);
            var vStep = Vector256.Create(stepSize); var vInv = Vector256.Create(invBc2Sqrt); var vEps = Vector256.Create(eps);
            ref float pRef = ref MemoryMarshal.GetReference(parameters);
            ref float gRef = ref MemoryMarshal.GetReference(gradients);
            ref float mRef = ref MemoryMarshal.GetArrayDataReference(_m);
            ref float vRef = ref MemoryMarshal.GetArrayDataReference(_v);
            for (; start + 8 <= parameters.Length; start += 8)
            {
                nuint o = (nuint)start;
                var g = Vector256.LoadUnsafe(ref gRef, o);
                var m0 = Vector256.LoadUnsafe(ref mRef, o);
                var m = m0 + (g - m0) * vb1;
                var v = vb2 * Vector256.LoadUnsafe(ref vRef, o) + v1mb2 * g * g;
                m.StoreUnsafe(ref mRef, o);
                v.StoreUnsafe(ref vRef, o);
                (Vector256.LoadUnsafe(ref pRef, o) - vStep * m / (Vector256.Sqrt(v) * vInv + vEps)).StoreUnsafe(ref pRef, o);
            }
        }
        for (int i = start; i < parameters.Length; i++)
        {
            float g = Decayed(gradients[i], parameters[i]);
            float m = _m[i] + (g - _m[i]) * b1;
            float v = b2 * _v[i] + oneMinusB2 * g * g;
            _m[i] = m; _v[i] = v;
            parameters[i] -= stepSize * m / (MathF.Sqrt(v) * invBc2Sqrt + eps);
        }
    }
}
