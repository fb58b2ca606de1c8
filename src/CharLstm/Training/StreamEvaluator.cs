using CharLstm.Model;

namespace CharLstm.Training;

/// <summary>
/// Scores a text with a model, forward only: the text is cut into <c>streams</c> contiguous pieces
/// read in parallel from a zero state, each character predicted from all before it in its piece
/// (the first character of a piece is context only). With one stream this is exactly the
/// per-character loss a PyTorch user gets by running the whole text through <c>nn.LSTM</c> at once.
/// </summary>
public static class StreamEvaluator
{
    /// <summary>Scores <paramref name="ids"/> in <paramref name="streams"/> streams, <paramref name="chunk"/> steps per forward call.</summary>
    public static LossSum Score(LstmModel model, ReadOnlySpan<int> ids, int streams = 1, int chunk = 256, int threads = 1)
    {
        if (ids.Length < 2) return new LossSum(0, 0);
        streams = Math.Max(1, Math.Min(streams, (ids.Length - 1) / Math.Max(1, Math.Min(chunk, ids.Length - 1))));
        int steps = (ids.Length - 1) / streams;              // predicted positions per stream
        chunk = Math.Max(1, Math.Min(chunk, steps));
        var cfg = model.Config;
        int v = cfg.VocabSize;
        var state = new LstmState(cfg, streams);
        NetworkPass? full = null, tail = null;
        double sum = 0;
        try
        {
            var inputs = new int[streams * chunk];
            var targets = new int[streams * chunk];
            for (int start = 0; start < steps; start += chunk)
            {
                int len = Math.Min(chunk, steps - start);
                var pass = len == chunk ? full ??= new NetworkPass(cfg, streams, chunk, threads) : tail ??= new NetworkPass(cfg, streams, len, threads);
                var inSpan = inputs.AsSpan(0, streams * len);
                var tgtSpan = targets.AsSpan(0, streams * len);
                for (int b = 0; b < streams; b++)
                    for (int t = 0; t < len; t++)
                    {
                        int pos = b * steps + start + t;
                        inSpan[b * len + t] = ids[pos];
                        tgtSpan[b * len + t] = ids[pos + 1];
                    }
                pass.Forward(model, inSpan, tgtSpan, state, training: false);
                // Per-position loss from the logits in double: logsumexp − logit[target].
                var logits = pass.Logits;
                for (int t = 0; t < len; t++)
                    for (int b = 0; b < streams; b++)
                    {
                        var row = logits.Slice((t * streams + b) * v, v);
                        double max = double.NegativeInfinity;
                        foreach (float x in row) max = Math.Max(max, x);
                        double z = 0;
                        foreach (float x in row) z += Math.Exp(x - max);
                        sum += max + Math.Log(z) - row[tgtSpan[b * len + t]];
                    }
            }
        }
        finally
        {
            full?.Dispose();
            tail?.Dispose();
        }
        return new LossSum(sum, (long)steps * streams);
    }
}
