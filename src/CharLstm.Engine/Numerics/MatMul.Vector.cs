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
    /// four panels at a time so eight accumulators hide the FMA latency.
    /// </summary>
    public static void MultiplyVector(float* y, float* x, PackedMatrix b, int j0, int j1, bool accumulate, Level level = Level.Vector256)
    {
        int k = b.K;
        bool wide = Vector256.IsHardwareAccelerated && level == Level.Vector256;
        float* tile = stackalloc float[TileColumns];
        for (int j = j0; j < j1;)
        {
            float* panel = b.Panel(j / TileColumns);
            if (wide && j + 4 * TileColumns <= j1)
            {
                Vector4Panels256(y + j, x, panel, (long)k * TileColumns, k, accumulate);
                j += 4 * TileColumns;
                continue;
            }
            int cols = Math.Min(TileColumns, j1 - j);
            if (wide)
            {
                // One panel: two chains (latency-bound, but 8 lanes each); a partial panel through a tile.
                float* dst = cols == TileColumns ? y + j : tile;
                if (cols < TileColumns) for (int jj = 0; jj < TileColumns; jj++) tile[jj] = jj < cols ? y[j + jj] : 0f;
                VectorPanel256(dst, x, panel, k, accumulate);
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
}
