using System.Numerics;
using System.Numerics.Tensors;

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
        int hs = hidden;
        for (int b = 0; b < batch; b++)
        {
            var g = gates.Slice(b * 4 * hs, 4 * hs);
            ForwardUnits(g[..hs], g.Slice(hs, hs), g.Slice(2 * hs, hs), g.Slice(3 * hs, hs),
                cPrev.Slice(b * hs, hs), c.Slice(b * hs, hs), tanhC.Slice(b * hs, hs), h.Slice(b * hs, hs));
        }
    }

    /// <summary>
    /// The cell for a run of units whose four gates lie apart (generation groups them by 16 units):
    /// exactly the operations of <see cref="Forward"/>, so both give the same bits. c may alias cPrev.
    /// </summary>
    public static void ForwardUnits(Span<float> i, Span<float> f, Span<float> g, Span<float> o, ReadOnlySpan<float> cPrev, Span<float> c, Span<float> tanhC, Span<float> h)
    {
        if (!Vector.IsHardwareAccelerated)
        {
            for (int j = 0; j < i.Length; j++)
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
        TensorPrimitives.Sigmoid(i, i);
        TensorPrimitives.Sigmoid(f, f);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(o, o);
        TensorPrimitives.Multiply(f, cPrev, c);          // f*c
        TensorPrimitives.FusedMultiplyAdd(i, g, c, c);    // + i*g
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, h);
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
    public static void Backward(Span<float> dGates, Span<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC, int batch, int hidden)
    {
        if (!Vector.IsHardwareAccelerated || hidden < Vector<float>.Count) { BackwardReference(dGates, dc, dh, gates, cPrev, tanhC, batch, hidden); return; }
        int w = Vector<float>.Count;
        var one = Vector<float>.One;
        for (int b = 0; b < batch; b++)
        {
            var g = gates.Slice(b * 4 * hidden, 4 * hidden);
            var dg = dGates.Slice(b * 4 * hidden, 4 * hidden);
            var dcRow = dc.Slice(b * hidden, hidden);
            var dhRow = dh.Slice(b * hidden, hidden);
            var cpRow = cPrev.Slice(b * hidden, hidden);
            var tcRow = tanhC.Slice(b * hidden, hidden);
            // Vector loop with the last vector overlapping the previous one: each j is computed from
            // inputs only, except dc, which is read before written; so overlap must not recompute a
            // lane whose dc was already updated. Hence a scalar tail instead of an overlapping vector.
            int j = 0;
            for (; j + w <= hidden; j += w)
            {
                var i = new Vector<float>(g.Slice(j)); var f = new Vector<float>(g.Slice(hidden + j));
                var gg = new Vector<float>(g.Slice(2 * hidden + j)); var o = new Vector<float>(g.Slice(3 * hidden + j));
                var tc = new Vector<float>(tcRow.Slice(j)); var dhv = new Vector<float>(dhRow.Slice(j));
                var dcv = new Vector<float>(dcRow.Slice(j)) + dhv * o * (one - tc * tc);
                (dcv * gg * i * (one - i)).CopyTo(dg.Slice(j));
                (dcv * new Vector<float>(cpRow.Slice(j)) * f * (one - f)).CopyTo(dg.Slice(hidden + j));
                (dcv * i * (one - gg * gg)).CopyTo(dg.Slice(2 * hidden + j));
                (dhv * tc * o * (one - o)).CopyTo(dg.Slice(3 * hidden + j));
                (dcv * f).CopyTo(dcRow.Slice(j));
            }
            for (; j < hidden; j++) BackwardOne(dg, dcRow, dhRow, g, cpRow, tcRow, hidden, j);
        }
    }

    /// <summary>Scalar oracle for <see cref="Backward"/>.</summary>
    public static void BackwardReference(Span<float> dGates, Span<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC, int batch, int hidden)
    {
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < hidden; j++)
                BackwardOne(dGates.Slice(b * 4 * hidden, 4 * hidden), dc.Slice(b * hidden, hidden), dh.Slice(b * hidden, hidden),
                    gates.Slice(b * 4 * hidden, 4 * hidden), cPrev.Slice(b * hidden, hidden), tanhC.Slice(b * hidden, hidden), hidden, j);
    }

    private static void BackwardOne(Span<float> dg, Span<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> g, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC, int hidden, int j)
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
