using System.Runtime.Intrinsics;

namespace CharLstm.Numerics;

/// <summary>
/// A row vector times a packed matrix, for batch-1 generation: one row of C has too few rows for a
/// register tile, so the vector path keeps eight accumulators over four panels instead.
/// </summary>
internal static unsafe partial class MatMul
{
    /// <summary>
    /// Row vector times packed matrix for columns <c>[j0, j1)</c> (j0 a multiple of 16):
    /// <c>y[j] (+)= Σ_p x[p]·B[p, j]</c>, the same chain as the matrix kernels (so the same bits),
    /// several panels at a time so enough accumulators hide the FMA latency. The widest level this
    /// machine has up to <paramref name="level"/> runs: Vector256 (also on AVX-512 machines: one row
    /// is memory-bound, wider vectors gain nothing), Vector128 (ARM64's NEON, x86 without AVX2), or the
    /// scalar loop.
    /// </summary>
    public static void MultiplyVector(float* y, float* x, PackedMatrix b, int j0, int j1, bool accumulate, Level level = Level.Vector512)
    {
        int k = b.K;
        Level run = Supported(level);
        long panelStride = (long)k * TileColumns;
        float* tile = stackalloc float[TileColumns];
        for (int j = j0; j < j1;)
        {
            float* panel = b.Panel(j / TileColumns);
            if (run >= Level.Vector256 && j + 4 * TileColumns <= j1)
            {
                Vector4Panels256(y + j, x, panel, panelStride, k, accumulate);
                j += 4 * TileColumns;
                continue;
            }
            if (run == Level.Vector128 && j + 2 * TileColumns <= j1)
            {
                Vector2Panels128(y + j, x, panel, panelStride, k, accumulate);
                j += 2 * TileColumns;
                continue;
            }
            int cols = Math.Min(TileColumns, j1 - j);
            if (run >= Level.Vector128)
            {
                // One panel (latency-bound, but several lanes per chain); a partial panel through a tile.
                float* dst = cols == TileColumns ? y + j : tile;
                if (cols < TileColumns) for (int jj = 0; jj < TileColumns; jj++) tile[jj] = jj < cols ? y[j + jj] : 0f;
                if (run >= Level.Vector256) VectorPanel256(dst, x, panel, k, accumulate);
                else VectorPanel128(dst, x, panel, k, accumulate);
                if (cols < TileColumns) for (int jj = 0; jj < cols; jj++) y[j + jj] = tile[jj];
                j += TileColumns;
                continue;
            }
            for (int jj = 0; jj < cols; jj++)
            {
                float sum = accumulate ? y[j + jj] : 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(x[p], panel[(long)p * TileColumns + jj], sum);
                y[j + jj] = sum;
            }
            j += TileColumns;
        }
    }

    private static void VectorPanel256(float* y, float* x, float* b, int k, bool accumulate)
    {
        Vector256<float> s0 = accumulate ? Vector256.Load(y) : Vector256<float>.Zero;
        Vector256<float> s1 = accumulate ? Vector256.Load(y + 8) : Vector256<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var xp = Vector256.Create(x[p]);
            s0 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + (long)p * TileColumns), s0);
            s1 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + (long)p * TileColumns + 8), s1);
        }
        s0.Store(y); s1.Store(y + 8);
    }

    private static void Vector4Panels256(float* y, float* x, float* b, long panelStride, int k, bool accumulate)
    {
        float* b1 = b + panelStride, b2 = b1 + panelStride, b3 = b2 + panelStride;
        Vector256<float> s0, s1, s2, s3, s4, s5, s6, s7;
        if (accumulate)
        {
            s0 = Vector256.Load(y); s1 = Vector256.Load(y + 8); s2 = Vector256.Load(y + 16); s3 = Vector256.Load(y + 24);
            s4 = Vector256.Load(y + 32); s5 = Vector256.Load(y + 40); s6 = Vector256.Load(y + 48); s7 = Vector256.Load(y + 56);
        }
        else s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Vector256<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var xp = Vector256.Create(x[p]);
            long o = (long)p * TileColumns;
            s0 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + o), s0);
            s1 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + o + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b1 + o), s2);
            s3 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b1 + o + 8), s3);
            s4 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b2 + o), s4);
            s5 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b2 + o + 8), s5);
            s6 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b3 + o), s6);
            s7 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b3 + o + 8), s7);
        }
        s0.Store(y); s1.Store(y + 8); s2.Store(y + 16); s3.Store(y + 24);
        s4.Store(y + 32); s5.Store(y + 40); s6.Store(y + 48); s7.Store(y + 56);
    }

    // The 128-bit paths: four vectors per panel. Two panels give eight independent chains, enough for
    // two FMA pipes of four cycles' latency, and fit x86's sixteen vector registers as well as NEON's 32.
    private static void VectorPanel128(float* y, float* x, float* b, int k, bool accumulate)
    {
        Vector128<float> s0, s1, s2, s3;
        if (accumulate) { s0 = Vector128.Load(y); s1 = Vector128.Load(y + 4); s2 = Vector128.Load(y + 8); s3 = Vector128.Load(y + 12); }
        else s0 = s1 = s2 = s3 = Vector128<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var xp = Vector128.Create(x[p]);
            float* row = b + (long)p * TileColumns;
            s0 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(row), s0);
            s1 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(row + 4), s1);
            s2 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(row + 8), s2);
            s3 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(row + 12), s3);
        }
        s0.Store(y); s1.Store(y + 4); s2.Store(y + 8); s3.Store(y + 12);
    }

    private static void Vector2Panels128(float* y, float* x, float* b, long panelStride, int k, bool accumulate)
    {
        float* b1 = b + panelStride;
        Vector128<float> s0, s1, s2, s3, s4, s5, s6, s7;
        if (accumulate)
        {
            s0 = Vector128.Load(y); s1 = Vector128.Load(y + 4); s2 = Vector128.Load(y + 8); s3 = Vector128.Load(y + 12);
            s4 = Vector128.Load(y + 16); s5 = Vector128.Load(y + 20); s6 = Vector128.Load(y + 24); s7 = Vector128.Load(y + 28);
        }
        else s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Vector128<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var xp = Vector128.Create(x[p]);
            long o = (long)p * TileColumns;
            s0 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b + o), s0);
            s1 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b + o + 4), s1);
            s2 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b + o + 8), s2);
            s3 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b + o + 12), s3);
            s4 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b1 + o), s4);
            s5 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b1 + o + 4), s5);
            s6 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b1 + o + 8), s6);
            s7 = Vector128.FusedMultiplyAdd(xp, Vector128.LoadAligned(b1 + o + 12), s7);
        }
        s0.Store(y); s1.Store(y + 4); s2.Store(y + 8); s3.Store(y + 12);
        s4.Store(y + 16); s5.Store(y + 20); s6.Store(y + 24); s7.Store(y + 28);
    }
}
