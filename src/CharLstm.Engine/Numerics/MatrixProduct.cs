namespace CharLstm.Numerics;

/// <summary>
/// The engine's matrix multiply for callers outside it (the bench verb measures it on the LSTM's
/// shapes): <c>C[M,N] = A[M,K] · B[K,N]</c> on row-major arrays, on a team of compute threads. B can be
/// packed once and reused, as the engine does with weights, or packed on every call, as it does with
/// activations. Not thread-safe.
/// </summary>
public sealed unsafe class MatrixProduct : IDisposable
{
    private readonly ThreadTeam _team;
    private readonly PackedMatrix _packed = new();

    /// <summary>A multiply on <paramref name="threads"/> compute threads (the caller's included).</summary>
    public MatrixProduct(int threads) => _team = new ThreadTeam(threads);

    /// <summary>The widest kernel this machine runs: <c>Vector512</c>, <c>Vector256</c>, <c>Vector128</c> or <c>scalar</c>.</summary>
    public static string Kernel => MatMul.BestLevel == MatMul.Level.Scalar ? "scalar" : MatMul.BestLevel.ToString();

    /// <summary>Compute threads used.</summary>
    public int Threads => _team.Size;

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _team.Dispose();

    /// <summary>C (m, n) = A (m, k) · B (k, n), B packed inside the call.</summary>
    public void Multiply(float[] c, float[] a, float[] b, int m, int k, int n)
    {
        CheckLengths(c, a, m, k, n);
        if (b.Length < (long)k * n) throw new ArgumentException($"B holds {b.Length} values, fewer than {k}×{n}.", nameof(b));
        fixed (float* pc = c, pa = a, pb = b)
            MatMul.Multiply(_team, MatrixView.Dense(pc, m, n), MatrixView.Dense(pa, m, k), MatrixView.Dense(pb, k, n), accumulate: false);
    }

    /// <summary>Packs B (k, n) for <see cref="MultiplyPacked"/>.</summary>
    public void PackB(float[] b, int k, int n)
    {
        if (b.Length < (long)k * n) throw new ArgumentException($"B holds {b.Length} values, fewer than {k}×{n}.", nameof(b));
        fixed (float* pb = b) _packed.Pack(_team, MatrixView.Dense(pb, k, n));
    }

    /// <summary>C (m, n) = A (m, k) · B with the B of the last <see cref="PackB"/>.</summary>
    public void MultiplyPacked(float[] c, float[] a, int m)
    {
        CheckLengths(c, a, m, _packed.K, _packed.N);
        fixed (float* pc = c, pa = a)
            MatMul.Multiply(_team, MatrixView.Dense(pc, m, _packed.N), MatrixView.Dense(pa, m, _packed.K), _packed, accumulate: false);
    }

    private static void CheckLengths(float[] c, float[] a, int m, int k, int n)
    {
        if (m < 0 || k < 0 || n < 0) throw new ArgumentException($"sizes must not be negative, got {m}×{k}×{n}.");
        if (a.Length < (long)m * k) throw new ArgumentException($"A holds {a.Length} values, fewer than {m}×{k}.", nameof(a));
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} values, fewer than {m}×{n}.", nameof(c));
    }
}
