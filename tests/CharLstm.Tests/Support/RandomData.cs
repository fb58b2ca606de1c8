using CharLstm.Numerics;

namespace CharLstm.Tests.Support;

/// <summary>Seeded test data.</summary>
internal static class RandomData
{
    /// <summary><paramref name="n"/> floats uniform in [−1, 1) from <paramref name="seed"/>.</summary>
    public static float[] Uniform(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextUniform(-1, 1);
        return a;
    }
}
