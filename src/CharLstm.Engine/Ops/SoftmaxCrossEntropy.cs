using System.Numerics.Tensors;

namespace CharLstm.Ops;

/// <summary>Softmax with cross-entropy, row by row (PyTorch's <c>F.cross_entropy</c>).</summary>
internal static class SoftmaxCrossEntropy
{
    // probs   (V) out: softmax of logits (kept for backward)
    // logits  (V)
    // returns −log probs[target], computed as logsumexp − logits[target]
    public static double Forward(Span<float> probs, ReadOnlySpan<float> logits, int target)
        => Softmax.Normalize(probs, logits) - logits[target];

    // dLogits (N, V) out: (probs − onehot(target)) * scale, with scale = 1/N for a mean
    public static void Backward(Span<float> dLogits, ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, int rows, int vocab, float scale)
    {
        TensorPrimitives.Multiply(probs[..(rows * vocab)], scale, dLogits[..(rows * vocab)]);
        for (int r = 0; r < rows; r++) dLogits[r * vocab + targets[r]] -= scale;
    }
}
