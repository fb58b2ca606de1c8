using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CharLstm.Ops;

/// <summary>
/// The pointwise half of one LSTM time step for a batch: gate nonlinearities and the cell update,
/// fused in one pass. The matrix half (the gate pre-activations) is done by the caller.
/// Each gate row of width 4H holds [i | f | g | o], PyTorch's order.
/// </summary>
internal static class LstmCell
{
    // ------------------------------------------------------------------------------------------
    // Forward
    // gates   (B, 4H)  in: pre-activations; out: activations i=σ, f=σ, g=tanh, o=σ (kept for backward)
    // cPrev   (B, H)   cell state before the step
    // c       (B, H)   out: c' = f*c + i*g
    // tanhC   (B, H)   out: tanh(c') (kept for backward)
    // h       (B, H)   out: h' = o*tanh(c')
    // ------------------------------------------------------------------------------------------
    public static void Forward(Span<float> c, Span<float> tanhC, Span<float> h, Span<float> gates, ReadOnlySpan<float> cPrev, int batch, int hidden)
    {
        if (!Vector.IsHardwareAccelerated) { ForwardReference(c, tanhC, h, gates, cPrev, batch, hidden); return; }
        for (int b = 0; b < batch; b++)
        {
            var g = gates.Slice(b * 4 * hidden, 4 * hidden);
            ForwardUnits(g[..hidden], g.Slice(hidden, hidden), g.Slice(2 * hidden, hidden), g.Slice(3 * hidden, hidden),
                cPrev.Slice(b * hidden, hidden), c.Slice(b * hidden, hidden), tanhC.Slice(b * hidden, hidden), h.Slice(b * hidden, hidden));
        }
    }

    /// <summary>
    /// The cell for a run of units whose four gates lie apart (generation groups them by 16 units),
    /// in one pass: i, f, o = σ; g = tanh; c' = f·c + i·g; h' = o·tanh(c'). Every unit goes through
    /// the same vector code (a partial last vector is padded, not done in scalar), so a unit's result
    /// does not depend on where it sits: training and generation give the same bits. c may alias cPrev.
    /// </summary>
    public static unsafe void ForwardUnits(Span<float> i, Span<float> f, Span<float> g, Span<float> o, ReadOnlySpan<float> cPrev, Span<float> c,
        Span<float> tanhC, Span<float> h)
    {
        int n = i.Length;
        if (!Vector.IsHardwareAccelerated)
        {
            for (int j = 0; j < n; j++)
            {
                float ij = Sigmoid(i[j]), fj = Sigmoid(f[j]), gj = MathF.Tanh(g[j]), oj = Sigmoid(o[j]);
                i[j] = ij; f[j] = fj; g[j] = gj; o[j] = oj;
                float cj = fj * cPrev[j] + ij * gj;
                float tc = MathF.Tanh(cj);
                c[j] = cj;
                tanhC[j] = tc;
                h[j] = oj * tc;
            }
            return;
        }
        fixed (float* pi = i, pf = f, pg = g, po = o, pcp = cPrev, pc = c, pt = tanhC, ph = h)
        {
            if (Vector256.IsHardwareAccelerated)
            {
                int j = 0;
                // All the gates first, then all the cells: each vector's chain is long (an exponential
                // and a division) but independent of its neighbours', so runs of them overlap. With
                // Vector512, 16 units at a time first: the same operations per lane, so the same bits.
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; j + 16 <= n; j += 16) { Sigmoid512(pi + j); Sigmoid512(pf + j); Tanh512(pg + j); Sigmoid512(po + j); }
                    for (int u = 0; u + 16 <= n; u += 16) Cell512(pi + u, pf + u, pg + u, po + u, pcp + u, pc + u, pt + u, ph + u);
                }
                int from = j;
                for (; j + 8 <= n; j += 8) { Sigmoid256(pi + j); Sigmoid256(pf + j); Tanh256(pg + j); Sigmoid256(po + j); }
                for (int u = from; u + 8 <= n; u += 8) Cell256(pi + u, pf + u, pg + u, po + u, pcp + u, pc + u, pt + u, ph + u);
                if (j < n)
                {
                    // Pad the last few units into a full vector (8 lanes × 8 arrays).
                    float* t = stackalloc float[64];
                    new Span<float>(t, 64).Clear();
                    int r = n - j;
                    Copy(pi + j, t, r); Copy(pf + j, t + 8, r); Copy(pg + j, t + 16, r); Copy(po + j, t + 24, r); Copy(pcp + j, t + 32, r);
                    Units256(t, t + 8, t + 16, t + 24, t + 32, t + 40, t + 48, t + 56);
                    Copy(t, pi + j, r); Copy(t + 8, pf + j, r); Copy(t + 16, pg + j, r); Copy(t + 24, po + j, r);
                    Copy(t + 40, pc + j, r); Copy(t + 48, pt + j, r); Copy(t + 56, ph + j, r);
                }
            }
            else
            {
                int j = 0;
                for (; j + 4 <= n; j += 4) Units128(pi + j, pf + j, pg + j, po + j, pcp + j, pc + j, pt + j, ph + j);
                if (j < n)
                {
                    float* t = stackalloc float[32];
                    new Span<float>(t, 32).Clear();
                    int r = n - j;
                    Copy(pi + j, t, r); Copy(pf + j, t + 4, r); Copy(pg + j, t + 8, r); Copy(po + j, t + 12, r); Copy(pcp + j, t + 16, r);
                    Units128(t, t + 4, t + 8, t + 12, t + 16, t + 20, t + 24, t + 28);
                    Copy(t, pi + j, r); Copy(t + 4, pf + j, r); Copy(t + 8, pg + j, r); Copy(t + 12, po + j, r);
                    Copy(t + 20, pc + j, r); Copy(t + 24, pt + j, r); Copy(t + 28, ph + j, r);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="ForwardUnits"/> for one full group of 16 units laid out as generation groups them
    /// (i, f, g, o: 16 floats each, back to back), c updated in place: the same vector code without
    /// the spans, which cost as much as the arithmetic at this size. Returns false where there is no
    /// Vector256 (the caller then takes <see cref="ForwardUnits"/>).
    /// </summary>
    public static unsafe bool ForwardGroup16(float* gates, float* c, float* h, float* tanhC)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            // One vector per gate: the same operations per lane as the Vector256 code, so the same bits.
            Sigmoid512(gates); Sigmoid512(gates + 16); Tanh512(gates + 32); Sigmoid512(gates + 48);
            Cell512(gates, gates + 16, gates + 32, gates + 48, c, c, tanhC, h);
            return true;
        }
        if (!Vector256.IsHardwareAccelerated) return false;
        // The eight gate vectors, then the two cell vectors: independent chains next to each other.
        Sigmoid256(gates); Sigmoid256(gates + 8); Sigmoid256(gates + 16); Sigmoid256(gates + 24);
        Tanh256(gates + 32); Tanh256(gates + 40); Sigmoid256(gates + 48); Sigmoid256(gates + 56);
        Cell256(gates, gates + 16, gates + 32, gates + 48, c, c, tanhC, h);
        Cell256(gates + 8, gates + 24, gates + 40, gates + 56, c + 8, c + 8, tanhC + 8, h + 8);
        return true;
    }

    private static unsafe void Copy(float* from, float* to, int count)
    {
        for (int k = 0; k < count; k++) to[k] = from[k];
    }

    // e^x, Cephes expf: x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial for e^r (about 1 ulp), times
    // 2^n built in the exponent bits. x is clamped to ±87.3, so the result is always a normal float
    // or saturates (σ and tanh below only need that). The BCL's Vector256.Exp widens to double, which
    // costs several times more at this accuracy than the cell needs (docs/engine.md).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp256(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-87.3f)), Vector256.Create(87.3f));
        var n = Vector256.Floor(Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504088896341f), Vector256.Create(0.5f)));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500E-4f);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        // 2^n: n + 2^23 + 127 holds the integer n + 127 (1..253) in its low mantissa bits, and the
        // shift by 23 moves them into the exponent field while the rest falls off the top. The same
        // bits as converting n to an integer, without .NET's saturating conversion around it.
        var scale = Vector256.ShiftLeft((n + Vector256.Create(8388735f)).AsInt32(), 23).AsSingle();
        return p * scale;
    }

    // Exp256's per-SIMD-width twin at 16 lanes: the same operations per lane (keep them in step).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp512(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-87.3f)), Vector512.Create(87.3f));
        var n = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504088896341f), Vector512.Create(0.5f)));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var scale = Vector512.ShiftLeft((n + Vector512.Create(8388735f)).AsInt32(), 23).AsSingle(); // 2^n as in Exp256
        return p * scale;
    }

    // Exp256's per-SIMD-width twin at 4 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Exp128(Vector128<float> x)
    {
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(-87.3f)), Vector128.Create(87.3f));
        var n = Vector128.Floor(Vector128.FusedMultiplyAdd(x, Vector128.Create(1.44269504088896341f), Vector128.Create(0.5f)));
        var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-0.693359375f), x);
        r = Vector128.FusedMultiplyAdd(n, Vector128.Create(2.12194440e-4f), r);
        var p = Vector128.Create(1.9875691500E-4f);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.3981999507E-3f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(8.3334519073E-3f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(4.1665795894E-2f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(1.6666665459E-1f));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(5.0000001201E-1f));
        p = Vector128.FusedMultiplyAdd(p, r * r, r) + Vector128<float>.One;
        var scale = Vector128.ShiftLeft((n + Vector128.Create(8388735f)).AsInt32(), 23).AsSingle(); // 2^n as in Exp256
        return p * scale;
    }

    // σ(x) = 1 / (1 + e^−x); tanh(x) = 2σ(2x) − 1 (saturates cleanly at ±1; absolute error ~1e-7 near 0).
    // The cell's vector code in three pieces, each loading what it needs and storing its result:
    // few live vectors, so the JIT keeps them in registers (one function computing all four gates at
    // once spilled some 30 vectors to the stack, and the spills cost more than the arithmetic).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Sigmoid256(float* x)
    {
        var one = Vector256<float>.One;
        (one / (one + Exp256(-Vector256.Load(x)))).Store(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tanh256(float* x)
    {
        var one = Vector256<float>.One;
        ((one + one) / (one + Exp256(Vector256.Load(x) * -2f)) - one).Store(x);
    }

    // Sigmoid256 and Tanh256's per-SIMD-width twins at 16 lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Sigmoid512(float* x)
    {
        var one = Vector512<float>.One;
        (one / (one + Exp512(-Vector512.Load(x)))).Store(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tanh512(float* x)
    {
        var one = Vector512<float>.One;
        ((one + one) / (one + Exp512(Vector512.Load(x) * -2f)) - one).Store(x);
    }

    // Cell256's per-SIMD-width twin at 16 lanes. c may alias cPrev.
    private static unsafe void Cell512(float* i, float* f, float* g, float* o, float* cPrev, float* c, float* tanhC, float* h)
    {
        var one = Vector512<float>.One;
        var cv = Vector512.FusedMultiplyAdd(Vector512.Load(i), Vector512.Load(g), Vector512.Load(f) * Vector512.Load(cPrev));
        cv.Store(c);
        var tc = (one + one) / (one + Exp512(cv * -2f)) - one;
        tc.Store(tanhC);
        (Vector512.Load(o) * tc).Store(h);
    }

    // From the activations: c' = f·c + i·g, tanh(c'), h' = o·tanh(c'). c may alias cPrev.
    private static unsafe void Cell256(float* i, float* f, float* g, float* o, float* cPrev, float* c, float* tanhC, float* h)
    {
        var one = Vector256<float>.One;
        var cv = Vector256.FusedMultiplyAdd(Vector256.Load(i), Vector256.Load(g), Vector256.Load(f) * Vector256.Load(cPrev));
        cv.Store(c);
        var tc = (one + one) / (one + Exp256(cv * -2f)) - one;
        tc.Store(tanhC);
        (Vector256.Load(o) * tc).Store(h);
    }

    private static unsafe void Units256(float* i, float* f, float* g, float* o, float* cPrev, float* c, float* tanhC, float* h)
    {
        Sigmoid256(i); Sigmoid256(f); Tanh256(g); Sigmoid256(o);
        Cell256(i, f, g, o, cPrev, c, tanhC, h);
    }

    private static unsafe void Units128(float* i, float* f, float* g, float* o, float* cPrev, float* c, float* tanhC, float* h)
    {
        var one = Vector128<float>.One;
        (one / (one + Exp128(-Vector128.Load(i)))).Store(i);
        (one / (one + Exp128(-Vector128.Load(f)))).Store(f);
        ((one + one) / (one + Exp128(Vector128.Load(g) * -2f)) - one).Store(g);
        (one / (one + Exp128(-Vector128.Load(o)))).Store(o);
        var cv = Vector128.FusedMultiplyAdd(Vector128.Load(i), Vector128.Load(g), Vector128.Load(f) * Vector128.Load(cPrev));
        cv.Store(c);
        var tc = (one + one) / (one + Exp128(cv * -2f)) - one;
        tc.Store(tanhC);
        (Vector128.Load(o) * tc).Store(h);
    }

    /// <summary>Scalar oracle for <see cref="Forward"/>.</summary>
    public static void ForwardReference(Span<float> c, Span<float> tanhC, Span<float> h, Span<float> gates, ReadOnlySpan<float> cPrev, int batch, int hidden)
    {
        for (int b = 0; b < batch; b++)
        {
            var g = gates.Slice(b * 4 * hidden, 4 * hidden);
            for (int j = 0; j < hidden; j++)
            {
                float i = Sigmoid(g[j]), f = Sigmoid(g[hidden + j]), gg = MathF.Tanh(g[2 * hidden + j]), o = Sigmoid(g[3 * hidden + j]);
                g[j] = i; g[hidden + j] = f; g[2 * hidden + j] = gg; g[3 * hidden + j] = o;
                float cj = f * cPrev[b * hidden + j] + i * gg;
                float tc = MathF.Tanh(cj);
                c[b * hidden + j] = cj;
                tanhC[b * hidden + j] = tc;
                h[b * hidden + j] = o * tc;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Backward
    // dGates  (B, 4H)  out: loss gradient w.r.t. the gate pre-activations
    // dc      (B, H)   in: dL/dc' arriving from the next step; out: dL/dc (for the previous step)
    // dh      (B, H)   in: dL/dh' (from above plus from the next step's recurrence)
    // gates, cPrev, tanhC: as saved by Forward
    // ------------------------------------------------------------------------------------------
    public static unsafe void Backward(Span<float> dGates, Span<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> tanhC, int batch, int hidden)
    {
        if (!Vector.IsHardwareAccelerated || hidden < Vector<float>.Count) { BackwardReference(dGates, dc, dh, gates, cPrev, tanhC, batch, hidden); return; }
        long n = (long)batch * hidden;
        if (dGates.Length < 4 * n || gates.Length < 4 * n || dc.Length < n || dh.Length < n || cPrev.Length < n || tanhC.Length < n)
            throw new ArgumentException($"the cell's buffers must hold {batch} rows of {hidden} units (4 × that for the gates)");
        int w = Vector<float>.Count;
        var one = Vector<float>.One;
        fixed (float* dgAll = dGates, dcAll = dc, dhAll = dh, gAll = gates, cpAll = cPrev, tcAll = tanhC)
        {
            for (int b = 0; b < batch; b++)
            {
                // Pointers, not span slices: at these sizes the slicing and bounds checks cost as
                // much as the arithmetic. The same operations in the same order as BackwardOne.
                float* g = gAll + (long)b * 4 * hidden, dg = dgAll + (long)b * 4 * hidden;
                float* dcRow = dcAll + (long)b * hidden, dhRow = dhAll + (long)b * hidden;
                float* cpRow = cpAll + (long)b * hidden, tcRow = tcAll + (long)b * hidden;
                // No overlapping last vector here (unlike most kernels): dc is read and then overwritten
                // in place, so recomputing a lane would use its already-updated dc. A scalar tail instead.
                int j = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    // 16 units at a time first, the same operations as below.
                    var one16 = Vector512<float>.One;
                    for (; j + 16 <= hidden; j += 16)
                    {
                        var i = Vector512.Load(g + j); var f = Vector512.Load(g + hidden + j);
                        var gg = Vector512.Load(g + 2 * hidden + j); var o = Vector512.Load(g + 3 * hidden + j);
                        var tc = Vector512.Load(tcRow + j); var dhv = Vector512.Load(dhRow + j);
                        var dcv = Vector512.Load(dcRow + j) + dhv * o * (one16 - tc * tc);
                        (dcv * gg * i * (one16 - i)).Store(dg + j);
                        (dcv * Vector512.Load(cpRow + j) * f * (one16 - f)).Store(dg + hidden + j);
                        (dcv * i * (one16 - gg * gg)).Store(dg + 2 * hidden + j);
                        (dhv * tc * o * (one16 - o)).Store(dg + 3 * hidden + j);
                        (dcv * f).Store(dcRow + j);
                    }
                }
                for (; j + w <= hidden; j += w)
                {
                    var i = Vector.Load(g + j); var f = Vector.Load(g + hidden + j);
                    var gg = Vector.Load(g + 2 * hidden + j); var o = Vector.Load(g + 3 * hidden + j);
                    var tc = Vector.Load(tcRow + j); var dhv = Vector.Load(dhRow + j);
                    var dcv = Vector.Load(dcRow + j) + dhv * o * (one - tc * tc);
                    (dcv * gg * i * (one - i)).Store(dg + j);
                    (dcv * Vector.Load(cpRow + j) * f * (one - f)).Store(dg + hidden + j);
                    (dcv * i * (one - gg * gg)).Store(dg + 2 * hidden + j);
                    (dhv * tc * o * (one - o)).Store(dg + 3 * hidden + j);
                    (dcv * f).Store(dcRow + j);
                }
                for (; j < hidden; j++)
                    BackwardOne(dGates.Slice(b * 4 * hidden, 4 * hidden), dc.Slice(b * hidden, hidden), dh.Slice(b * hidden, hidden),
                        gates.Slice(b * 4 * hidden, 4 * hidden), cPrev.Slice(b * hidden, hidden), tanhC.Slice(b * hidden, hidden), hidden, j);
            }
        }
    }

    /// <summary>Scalar oracle for <see cref="Backward"/>.</summary>
    public static void BackwardReference(Span<float> dGates, Span<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> tanhC, int batch, int hidden)
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
                BackwardOne(dGates.Slice(b * 4 * hidden, 4 * hidden), dc.Slice(b * hidden, hidden), dh.Slice(b * hidden, hidden),
                    gates.Slice(b * 4 * hidden, 4 * hidden), cPrev.Slice(b * hidden, hidden), tanhC.Slice(b * hidden, hidden), hidden, j);
    }

    private static void BackwardOne(Span<float> dg, Span<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> g, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> tanhC, int hidden, int j)
    {
        float i = g[j], f = g[hidden + j], gg = g[2 * hidden + j], o = g[3 * hidden + j];
        float tc = tanhC[j], dhj = dh[j];
        float dcj = dc[j] + dhj * o * (1f - tc * tc);
        dg[j] = dcj * gg * i * (1f - i);
        dg[hidden + j] = dcj * cPrev[j] * f * (1f - f);
        dg[2 * hidden + j] = dcj * i * (1f - gg * gg);
        dg[3 * hidden + j] = dhj * tc * o * (1f - o);
        dc[j] = dcj * f;
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
