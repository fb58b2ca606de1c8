using System.Runtime.Intrinsics;

namespace CharLstm.Numerics;

// The Vector256 register tile. Kernel128 is its per-SIMD-width twin (the same tile as two 8-column
// halves of Vector128): keep the two in step.
internal static unsafe partial class MatMul
{
    // C[rows,16] (+)= A[rows,kc] · Bpanel[kc,16] with rows = 6 (12 accumulators) or 4 (8); A[r, p] at
    // a[r·aRows + p·aDepth] (a packed micro-panel: 1, rows; rows read in place: their stride, 1).
    private static void Kernel256<THeight>(float* c, int ldc, float* a, nint aRows, nint aDepth, float* b, int kc,
        bool load) where THeight : struct, ITileHeight
    {
        bool six = THeight.Rows == TileRows;
        float* a1 = a + aRows, a2 = a1 + aRows, a3 = a2 + aRows, a4 = six ? a3 + aRows : a3, a5 = six ? a4 + aRows : a3;
        nint q = 0;
        var c00 = Vector256<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
        var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        if (load)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            c10 = Vector256.Load(c1); c11 = Vector256.Load(c1 + 8);
            c20 = Vector256.Load(c2); c21 = Vector256.Load(c2 + 8);
            c30 = Vector256.Load(c3); c31 = Vector256.Load(c3 + 8);
            if (six)
            {
                c40 = Vector256.Load(c4); c41 = Vector256.Load(c4 + 8);
                c50 = Vector256.Load(c5); c51 = Vector256.Load(c5 + 8);
            }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadAligned(b);
            var b1 = Vector256.LoadAligned(b + 8);
            var x = Vector256.Create(a[q]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[q]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[q]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[q]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            if (six)
            {
                x = Vector256.Create(a4[q]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a5[q]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            }
            q += aDepth;
            b += TileColumns;
        }
        c00.Store(c); c01.Store(c + 8);
        c10.Store(c1); c11.Store(c1 + 8);
        c20.Store(c2); c21.Store(c2 + 8);
        c30.Store(c3); c31.Store(c3 + 8);
        if (six)
        {
            c40.Store(c4); c41.Store(c4 + 8);
            c50.Store(c5); c51.Store(c5 + 8);
        }
    }
}
