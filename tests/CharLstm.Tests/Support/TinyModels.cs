using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Tests.Support;

internal static class TinyModels
{
    /// <summary>Random tokens in [0, vocab), (count), from a fixed seed.</summary>
    public static int[] Tokens(int count, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        var t = new int[count];
        for (int i = 0; i < count; i++) t[i] = rng.NextInt(vocab);
        return t;
    }

    /// <summary>A random state, (L, B, H) for h and c.</summary>
    public static LstmState RandomState(ModelConfig cfg, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        var s = new LstmState(cfg, batch);
        for (int i = 0; i < s.H.Length; i++) { s.H[i] = rng.NextUniform(-0.5f, 0.5f); s.C[i] = rng.NextUniform(-0.5f, 0.5f); }
        return s;
    }

    public static LstmState Copy(LstmState s)
    {
        var c = new LstmState(s.Layers, s.Batch, s.Hidden);
        c.CopyFrom(s);
        return c;
    }
}
