using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CharLstm.Numerics;

/// <summary>
/// Packing for the blocked driver: a block of A into micro-panels of 6 (or 4) rows, each k-major, so
/// the kernel reads one contiguous run of floats per k; and, for B given row-major with few rows of
/// C, one k-block of a 16-column panel at a time.
/// </summary>
internal static unsafe partial class MatMul
{
    // A block (mc, kc) → micro-panels (Wide of 6 rows, then Narrow of 4), each k-major (height floats
    // per k), stacked; rows past mc are zero.
    private static void PackA(float* dst, float* a, int rowStride, int depthStride, int mc, int kc, int wide, int narrow)
    {
        if (rowStride == 1 && depthStride != 1)
        {
            // A given as its transpose: row p of Aᵀ holds this block's mc values for depth p contiguously.
            // Read each such row once, whole, and deal it out to the micro-panels. (Walking panel by
            // panel instead revisits every row once per panel, and with a power-of-two stride such as
            // 4H those rows share a cache set and are evicted in between.)
            int fullWide = Math.Min(wide, mc / TileRows);
            float* narrowStart = dst + (long)wide * TileRows * kc;
            for (int p = 0; p < kc; p++)
            {
                float* src = a + (long)p * depthStride;
                float* d = dst + p * TileRows;
                int ir = 0;
                if (Vector256.IsHardwareAccelerated && p + 1 < kc)
                {
                    // One 8-float copy per tile where 6 belong: the 2 extra land in this tile's slot for
                    // depth p + 1, which is written next; the last depth copies exactly, so nothing
                    // spills past the panel. (Copied element by element, this pack was a visible share
                    // of the whole product's time.)
                    for (int t = 0; t < fullWide; t++, ir += TileRows, d += (long)TileRows * kc)
                        Vector256.Store(Vector256.Load(src + ir), d);
                }
                else
                    for (int t = 0; t < fullWide; t++, ir += TileRows, d += (long)TileRows * kc)
                    {
                        d[0] = src[ir]; d[1] = src[ir + 1]; d[2] = src[ir + 2]; d[3] = src[ir + 3]; d[4] = src[ir + 4]; d[5] = src[ir + 5];
                    }
                for (int t = fullWide; t < wide; t++, ir += TileRows, d += (long)TileRows * kc)
                    for (int r = 0; r < TileRows; r++) d[r] = ir + r < mc ? src[ir + r] : 0f;
                d = narrowStart + p * NarrowRows;
                for (int t = 0; t < narrow; t++, ir += NarrowRows, d += (long)NarrowRows * kc)
                {
                    if (ir + NarrowRows <= mc) { d[0] = src[ir]; d[1] = src[ir + 1]; d[2] = src[ir + 2]; d[3] = src[ir + 3]; }
                    else for (int r = 0; r < NarrowRows; r++) d[r] = ir + r < mc ? src[ir + r] : 0f;
                }
            }
            return;
        }
        for (int t = 0; t < wide + narrow; t++)
        {
            int height = t < wide ? TileRows : NarrowRows;
            int ir = t < wide ? t * TileRows : wide * TileRows + (t - wide) * NarrowRows;
            int rows = Math.Min(height, mc - ir);
            float* panel = dst + (long)ir * kc;
            float* r0 = a + (long)ir * rowStride;
            if (depthStride == 1 && rows == TileRows)
            {
                float* r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride, r4 = r3 + rowStride, r5 = r4 + rowStride;
                int p = Avx.IsSupported ? Pack6Rows(panel, r0, rowStride, kc) : 0;
                for (; p < kc; p++)
                {
                    float* d = panel + p * TileRows;
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
                }
            }
            else if (depthStride == 1 && rows == NarrowRows && height == NarrowRows)
            {
                float* r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
                int p = Avx.IsSupported ? Pack4Rows(panel, r0, rowStride, kc) : 0;
                for (; p < kc; p++)
                {
                    float* d = panel + p * NarrowRows;
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                    for (int r = 0; r < height; r++)
                        panel[p * height + r] = r < rows ? a[(long)(ir + r) * rowStride + (long)p * depthStride] : 0f;
            }
        }
    }

    // Six rows of row-major A, eight depths at a time, into a 6-row micro-panel (6 floats per depth):
    // an 8×8 register transpose (rows 6 and 7 zero), then one 8-float store per depth, whose last two
    // floats land in the next depth's slot and are overwritten by its store. The loop stops while a
    // depth is still left to the caller's scalar tail, so nothing is written past the panel. Returns
    // the depths done.
    private static int Pack6Rows(float* panel, float* r0, int rowStride, int kc)
    {
        int p = 0;
        var zero = Vector256<float>.Zero;
        for (; p + 8 < kc; p += 8)
        {
            float* r = r0 + p;
            var (s0, s1, s2, s3) = Transpose4Rows(r, rowStride);
            // Rows 4 and 5 the same way, with rows 6 and 7 zero: uN holds depths N and N + 4 of rows 4-7.
            var a4 = Avx.LoadVector256(r + 4 * rowStride); var a5 = Avx.LoadVector256(r + 5 * rowStride);
            var t4 = Avx.UnpackLow(a4, a5); var t5 = Avx.UnpackHigh(a4, a5);
            var u0 = Avx.Shuffle(t4, zero, 0x44); var u1 = Avx.Shuffle(t4, zero, 0xEE);
            var u2 = Avx.Shuffle(t5, zero, 0x44); var u3 = Avx.Shuffle(t5, zero, 0xEE);
            float* d = panel + (long)p * TileRows;
            Avx.Store(d, Avx.Permute2x128(s0, u0, 0x20));
            Avx.Store(d + TileRows, Avx.Permute2x128(s1, u1, 0x20));
            Avx.Store(d + 2 * TileRows, Avx.Permute2x128(s2, u2, 0x20));
            Avx.Store(d + 3 * TileRows, Avx.Permute2x128(s3, u3, 0x20));
            Avx.Store(d + 4 * TileRows, Avx.Permute2x128(s0, u0, 0x31));
            Avx.Store(d + 5 * TileRows, Avx.Permute2x128(s1, u1, 0x31));
            Avx.Store(d + 6 * TileRows, Avx.Permute2x128(s2, u2, 0x31));
            Avx.Store(d + 7 * TileRows, Avx.Permute2x128(s3, u3, 0x31));
        }
        return p;
    }

    // Four rows of row-major A, eight depths at a time, into a 4-row micro-panel: the same transpose
    // for rows 0-3, each depth's four floats stored exactly. Returns the depths done.
    private static int Pack4Rows(float* panel, float* r0, int rowStride, int kc)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var (s0, s1, s2, s3) = Transpose4Rows(r0 + p, rowStride);
            float* d = panel + (long)p * NarrowRows;
            Sse.Store(d, s0.GetLower()); Sse.Store(d + NarrowRows, s1.GetLower());
            Sse.Store(d + 2 * NarrowRows, s2.GetLower()); Sse.Store(d + 3 * NarrowRows, s3.GetLower());
            Sse.Store(d + 4 * NarrowRows, s0.GetUpper()); Sse.Store(d + 5 * NarrowRows, s1.GetUpper());
            Sse.Store(d + 6 * NarrowRows, s2.GetUpper()); Sse.Store(d + 7 * NarrowRows, s3.GetUpper());
        }
        return p;
    }

    // Eight depths of four rows (row stride rowStride) transposed: sN holds rows 0-3 at depth N in its
    // low lane and at depth N + 4 in its high lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Transpose4Rows(float* r, int rowStride)
    {
        var a0 = Avx.LoadVector256(r); var a1 = Avx.LoadVector256(r + rowStride);
        var a2 = Avx.LoadVector256(r + 2 * rowStride); var a3 = Avx.LoadVector256(r + 3 * rowStride);
        var t0 = Avx.UnpackLow(a0, a1); var t1 = Avx.UnpackHigh(a0, a1);
        var t2 = Avx.UnpackLow(a2, a3); var t3 = Avx.UnpackHigh(a2, a3);
        return (Avx.Shuffle(t0, t2, 0x44), Avx.Shuffle(t0, t2, 0xEE), Avx.Shuffle(t1, t3, 0x44), Avx.Shuffle(t1, t3, 0xEE));
    }

    // kc rows × cols (≤ 16) of row-major B → one k-major panel slice of 16 columns, zero past cols.
    private static void PackPanelSlice(float* dst, float* b, int ldb, int kc, int cols)
    {
        if (cols == TileColumns)
        {
            for (int p = 0; p < kc; p++) Unsafe.CopyBlockUnaligned(dst + p * TileColumns, b + (long)p * ldb, TileColumns * sizeof(float));
            return;
        }
        for (int p = 0; p < kc; p++)
            for (int j = 0; j < TileColumns; j++) dst[p * TileColumns + j] = j < cols ? b[(long)p * ldb + j] : 0f;
    }
}
