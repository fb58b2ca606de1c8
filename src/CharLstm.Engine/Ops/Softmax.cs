using System.Numerics.Tensors;

namespace CharLstm.Ops;

/// <summary>The numerically stable softmax, shared by the loss and the sampler.</summary>
public static class Softmax
{
    /// <summary>
    /// Writes softmax(<paramref name="x"/>) to <paramref name="p"/> (which may be <paramref name="x"/>'s
    /// memory), subtracting the max first, and returns log Σ exp x. The sum runs in double in index
    /// order, so wide vocabularies keep their precision and the result never depends on the machine.
    /// </summary>
    public static double Normalize(Span<float> p, ReadOnlySpan<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, p);
        TensorPrimitives.Exp(p, p);
        double sum = 0;
        foreach (float e in p) sum += e;
        TensorPrimitives.Multiply(p, (float)(1.0 / sum), p);
        return max + Math.Log(sum);
    }
}
