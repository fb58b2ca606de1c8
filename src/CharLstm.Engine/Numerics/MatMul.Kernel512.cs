using System.Runtime.Intrinsics;

namespace CharLstm.Numerics;

// The Vector512 register tile: up to two tiles by two panels per call.
internal static unsafe partial class MatMul
{
    // Vector512: C[t·h, 16·w] (+)= A[t·h, kc] · B[kc, 16·w] with h = 6 or 4 rows per tile, t = 1 or 2
    // tiles and w = 1 or 2 panels (columns 0-15 from panel b, 16-31 from b2): one 16-float vector per
    // row and panel, up to 24 accumulators. Per k, one load per panel and one broadcast per row, used
    // by w multiply-adds. Rows 0..h-1 come from `a`, rows h..2h-1 from `a2` (each as in Kernel256:
    // row r at r·aRows, depth p at p·aDepth). Four row pointers and the row stride address all rows
    // (rows 0-2 of a tile from its first pointer, 3-5 from a second one three rows on), so nothing is
    // kept on the stack.
    private static void Kernel512<THalf, TTiles, TPanels>(float* c, int ldc, float* a, float* a2, nint aRows, nint aDepth, float* b, float* b2, int kc,
        bool load)
        where THalf : struct, ITileHeight where TTiles : struct, ICount where TPanels : struct, ICount
    {
        bool six = THalf.Rows == TileRows, two = TTiles.Value == 2, wide = TPanels.Value == 2;
        nint s = aRows * sizeof(float), step = aDepth * sizeof(float);
        byte* p0 = (byte*)a, p3 = p0 + 3 * s, q0 = (byte*)a2, q3 = q0 + 3 * s;
        int h = THalf.Rows;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        float* d0 = c + h * ldc, d1 = d0 + ldc, d2 = d1 + ldc, d3 = d2 + ldc, d4 = d3 + ldc, d5 = d4 + ldc;
        // xN, uN: row N of the first tile, first and second panel; yN, vN: the same for the second tile.
        var x0 = Vector512<float>.Zero; var x1 = x0; var x2 = x0; var x3 = x0; var x4 = x0; var x5 = x0;
        var u0 = x0; var u1 = x0; var u2 = x0; var u3 = x0; var u4 = x0; var u5 = x0;
        var y0 = x0; var y1 = x0; var y2 = x0; var y3 = x0; var y4 = x0; var y5 = x0;
        var v0 = x0; var v1 = x0; var v2 = x0; var v3 = x0; var v4 = x0; var v5 = x0;
        // The second tile's lines below are the twins of the first tile's (y, v for x, u), unrolled by
        // hand so that every accumulator stays in a register.
        if (load)
        {
            x0 = Vector512.Load(c); x1 = Vector512.Load(c1); x2 = Vector512.Load(c2); x3 = Vector512.Load(c3);
            if (six) { x4 = Vector512.Load(c4); x5 = Vector512.Load(c5); }
            if (wide)
            {
                u0 = Vector512.Load(c + 16); u1 = Vector512.Load(c1 + 16); u2 = Vector512.Load(c2 + 16); u3 = Vector512.Load(c3 + 16);
                if (six) { u4 = Vector512.Load(c4 + 16); u5 = Vector512.Load(c5 + 16); }
            }
            if (two)
            {
                y0 = Vector512.Load(d0); y1 = Vector512.Load(d1); y2 = Vector512.Load(d2); y3 = Vector512.Load(d3);
                if (six) { y4 = Vector512.Load(d4); y5 = Vector512.Load(d5); }
                if (wide)
                {
                    v0 = Vector512.Load(d0 + 16); v1 = Vector512.Load(d1 + 16); v2 = Vector512.Load(d2 + 16); v3 = Vector512.Load(d3 + 16);
                    if (six) { v4 = Vector512.Load(d4 + 16); v5 = Vector512.Load(d5 + 16); }
                }
            }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = wide ? Vector512.Load(b2) : b0;
            var e = Vector512.Create(*(float*)p0); x0 = Vector512.FusedMultiplyAdd(e, b0, x0); if (wide) u0 = Vector512.FusedMultiplyAdd(e, b1, u0);
            e = Vector512.Create(*(float*)(p0 + s)); x1 = Vector512.FusedMultiplyAdd(e, b0, x1); if (wide) u1 = Vector512.FusedMultiplyAdd(e, b1, u1);
            e = Vector512.Create(*(float*)(p0 + 2 * s)); x2 = Vector512.FusedMultiplyAdd(e, b0, x2); if (wide) u2 = Vector512.FusedMultiplyAdd(e, b1, u2);
            e = Vector512.Create(*(float*)p3); x3 = Vector512.FusedMultiplyAdd(e, b0, x3); if (wide) u3 = Vector512.FusedMultiplyAdd(e, b1, u3);
            if (six)
            {
                e = Vector512.Create(*(float*)(p3 + s)); x4 = Vector512.FusedMultiplyAdd(e, b0, x4); if (wide) u4 = Vector512.FusedMultiplyAdd(e, b1, u4);
                e = Vector512.Create(*(float*)(p3 + 2 * s)); x5 = Vector512.FusedMultiplyAdd(e, b0, x5); if (wide) u5 = Vector512.FusedMultiplyAdd(e, b1, u5);
            }
            if (two)
            {
                e = Vector512.Create(*(float*)q0); y0 = Vector512.FusedMultiplyAdd(e, b0, y0); if (wide) v0 = Vector512.FusedMultiplyAdd(e, b1, v0);
                e = Vector512.Create(*(float*)(q0 + s)); y1 = Vector512.FusedMultiplyAdd(e, b0, y1); if (wide) v1 = Vector512.FusedMultiplyAdd(e, b1, v1);
                e = Vector512.Create(*(float*)(q0 + 2 * s)); y2 = Vector512.FusedMultiplyAdd(e, b0, y2); if (wide) v2 = Vector512.FusedMultiplyAdd(e, b1, v2);
                e = Vector512.Create(*(float*)q3); y3 = Vector512.FusedMultiplyAdd(e, b0, y3); if (wide) v3 = Vector512.FusedMultiplyAdd(e, b1, v3);
                if (six)
                {
                    e = Vector512.Create(*(float*)(q3 + s)); y4 = Vector512.FusedMultiplyAdd(e, b0, y4); if (wide) v4 = Vector512.FusedMultiplyAdd(e, b1, v4);
                    e = Vector512.Create(*(float*)(q3 + 2 * s)); y5 = Vector512.FusedMultiplyAdd(e, b0, y5); if (wide) v5 = Vector512.FusedMultiplyAdd(e, b1,
                        v5);
                }
            }
            p0 += step; p3 += step; q0 += step; q3 += step;
            b += TileColumns; b2 += TileColumns;
        }
        x0.Store(c); x1.Store(c1); x2.Store(c2); x3.Store(c3);
        if (six) { x4.Store(c4); x5.Store(c5); }
        if (wide)
        {
            u0.Store(c + 16); u1.Store(c1 + 16); u2.Store(c2 + 16); u3.Store(c3 + 16);
            if (six) { u4.Store(c4 + 16); u5.Store(c5 + 16); }
        }
        if (two)
        {
            y0.Store(d0); y1.Store(d1); y2.Store(d2); y3.Store(d3);
            if (six) { y4.Store(d4); y5.Store(d5); }
            if (wide)
            {
                v0.Store(d0 + 16); v1.Store(d1 + 16); v2.Store(d2 + 16); v3.Store(d3 + 16);
                if (six) { v4.Store(d4 + 16); v5.Store(d5 + 16); }
            }
        }
    }
}
