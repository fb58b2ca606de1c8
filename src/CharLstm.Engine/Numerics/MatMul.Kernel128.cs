using System.Runtime.Intrinsics;

namespace CharLstm.Numerics;

// The Vector128 register tile: the per-SIMD-width twin of Kernel256 (the same 16 columns as two
// halves of 8, each the Vector256 tile's code at half the width): keep the two in step.
internal static unsafe partial class MatMul
{
    // Vector128: the 16 columns as two halves of 8, up to 12 accumulators each.
    private static void Kernel128<THeight>(float* c, int ldc, float* a, nint aRows, nint aDepth, float* b, int kc,
        bool load) where THeight : struct, ITileHeight
    {
        bool six = THeight.Rows == TileRows;
        float* a1 = a + aRows, a2 = a1 + aRows, a3 = a2 + aRows, a4 = six ? a3 + aRows : a3, a5 = six ? a4 + aRows : a3;
        for (int half = 0; half < 2; half++)
        {
            float* ch = c + 8 * half;
            float* c1 = ch + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
            var c00 = Vector128<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
            var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
            if (load)
            {
                c00 = Vector128.Load(ch); c01 = Vector128.Load(ch + 4);
                c10 = Vector128.Load(c1); c11 = Vector128.Load(c1 + 4);
                c20 = Vector128.Load(c2); c21 = Vector128.Load(c2 + 4);
                c30 = Vector128.Load(c3); c31 = Vector128.Load(c3 + 4);
                if (six)
                {
                    c40 = Vector128.Load(c4); c41 = Vector128.Load(c4 + 4);
                    c50 = Vector128.Load(c5); c51 = Vector128.Load(c5 + 4);
                }
            }
            nint q = 0;
            float* bp = b + 8 * half;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector128.Load(bp);
                var b1 = Vector128.Load(bp + 4);
                var x = Vector128.Create(a[q]);
                c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
                x = Vector128.Create(a1[q]);
                c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
                x = Vector128.Create(a2[q]);
                c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
                x = Vector128.Create(a3[q]);
                c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
                if (six)
                {
                    x = Vector128.Create(a4[q]);
                    c40 = Vector128.FusedMultiplyAdd(x, b0, c40); c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
                    x = Vector128.Create(a5[q]);
                    c50 = Vector128.FusedMultiplyAdd(x, b0, c50); c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
                }
                q += aDepth;
                bp += TileColumns;
            }
            c00.Store(ch); c01.Store(ch + 4);
            c10.Store(c1); c11.Store(c1 + 4);
            c20.Store(c2); c21.Store(c2 + 4);
            c30.Store(c3); c31.Store(c3 + 4);
            if (six)
            {
                c40.Store(c4); c41.Store(c4 + 4);
                c50.Store(c5); c51.Store(c5 + 4);
            }
        }
    }
}
