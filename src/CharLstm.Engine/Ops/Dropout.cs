using System.Numerics.Tensors;
using CharLstm.Numerics;

namespace CharLstm.Ops;

/// <summary>Inverted dropout: keep with probability 1−p and scale by 1/(1−p), so evaluation is the identity.</summary>
internal static class Dropout
{
    // mask (N) out: 0 or 1/(1−p), drawn from rng in index order (deterministic)
    // y    (N) out: x * mask
    public static void Forward(Span<float> y, Span<float> mask, ReadOnlySpan<float> x, float p, Rng rng)
    {
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextFloat() < p ? 0f : keep;
        TensorPrimitives.Multiply(x, mask, y);
    }

    // dx (N) out: dy * mask (dx may alias dy)
    public static void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> mask)
        => TensorPrimitives.Multiply(dy, mask, dx);
}
