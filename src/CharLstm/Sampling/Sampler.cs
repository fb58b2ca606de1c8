using CharLstm.Numerics;
using CharLstm.Ops;

namespace CharLstm.Sampling;

/// <summary>
/// Draws one character index from a row of logits. Works in caller-provided scratch space, so
/// sampling allocates nothing per character.
/// </summary>
public sealed class Sampler
{
    private readonly float[] _probs;  // (V)
    private readonly float[] _keys;   // (V) sort keys (negated probabilities)
    private readonly int[] _order;    // (V) indices sorted by probability

    /// <summary>Scratch for a vocabulary of <paramref name="vocabSize"/>.</summary>
    public Sampler(int vocabSize)
    {
        _probs = new float[vocabSize];
        _keys = new float[vocabSize];
        _order = new int[vocabSize];
    }

    /// <summary>Index of the largest logit (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Draws from softmax(logits / T), restricted by top-k and top-p.</summary>
    public int Sample(ReadOnlySpan<float> logits, SamplingOptions options, Rng rng)
    {
        int v = logits.Length;
        if (v != _probs.Length) throw new ArgumentException($"expected {_probs.Length} logits, got {v}", nameof(logits));
        if (options.Temperature == 0f) return ArgMax(logits);

        var probs = _probs.AsSpan();
        float invT = 1f / options.Temperature;
        for (int i = 0; i < v; i++) probs[i] = logits[i] * invT;
        Softmax.Normalize(probs, probs);

        int kept = v;
        if (options.TopK > 0 && options.TopK < v || options.TopP < 1f)
        {
            // Sort indices by probability, descending. The sort is not stable: tied probabilities come out in an order
            // that depends only on the input, so the same logits always keep the same candidates.
            for (int i = 0; i < v; i++) { _keys[i] = -probs[i]; _order[i] = i; }
            _keys.AsSpan().Sort(_order.AsSpan());
            if (options.TopK > 0) kept = Math.Min(kept, options.TopK);
            if (options.TopP < 1f)
            {
                double cumulative = 0;
                for (int i = 0; i < kept; i++)
                {
                    cumulative += probs[_order[i]];
                    if (cumulative >= options.TopP) { kept = i + 1; break; }
                }
            }
            double mass = 0;
            for (int i = 0; i < kept; i++) mass += probs[_order[i]];
            double u = rng.NextDouble() * mass;
            for (int i = 0; i < kept; i++)
            {
                u -= probs[_order[i]];
                if (u < 0) return _order[i];
            }
            return _order[kept - 1];
        }

        double r = rng.NextDouble();
        for (int i = 0; i < v; i++)
        {
            r -= probs[i];
            if (r < 0) return i;
        }
        // Rounding left a sliver of mass: return the last character with any probability.
        for (int i = v - 1; i >= 0; i--) if (probs[i] > 0) return i;
        return v - 1;
    }
}
