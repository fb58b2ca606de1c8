using System.Numerics.Tensors;

namespace CharLstm.Ops;

/// <summary>Numerically stable softmax with cross-entropy, mean over rows (PyTorch's <c>F.cross_entropy</c>).</summary>
internal static class SoftmaxCrossEntropy
{
    // probs   (N, V) out: softmax of logits (kept for backward)
    // logits  (N, V)
    // targets (N)
    // returns the SUM of −log p[target] over rows (the caller divides, so partial sums can combine)
    public static double Forward(Span<float> probs, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int rows, int vocab)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var x = logits.Slice(r * vocab, vocab);
            var p = probs.Slice(r * vocab, vocab);
            total += Softmax(p, x);
            // −log softmax[t] = logsumexp − x[t]; Softmax returned logsumexp.
            total -= x[targets[r]];
        }
        return total;
    }

    /// <summary>Writes softmax(<paramref name="x"/>) to <paramref name="p"/>, subtracting the max first; returns log Σ exp x.</summary>
    public static double Softmax(Span<float> p, ReadOnlySpan<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, p);
        TensorPrimitives.Exp(p, p);
        double sum = 0;
        foreach (float e in p) sum += e; // double sum: order fixed, precision kept for wide vocabularies
        TensorPrimitives.Multiply(p, (float)(1.0 / sum), p);
        return max + Math.Log(sum);
    }

    // dLogits (N, V) out: (p − onehot(target)) * scale, with scale = 1/N for a mean
    public static void Backward(Span<float> dLogits, ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, int rows, int vocab, float scale)
    {
        TensorPrimitives.Multiply(probs[..(rows * vocab)], scale, dLogits[..(rows * vocab)]);
        for (int r = 0; r < rows; r++) dLogits[r * vocab + targets[r]] -= scale;
    }
}
