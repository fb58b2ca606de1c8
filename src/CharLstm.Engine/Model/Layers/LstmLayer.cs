using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using CharLstm.Numerics;
using CharLstm.Ops;

namespace CharLstm.Model.Layers;

/// <summary>
/// One LSTM layer over a batch of B streams × T steps; every layer runs this code, whatever its depth
/// (the difference between layer 0 and the others is its <see cref="LayerInput"/>). Rows are
/// time-major, r = t·B + b, so one time step of the batch is a contiguous (B, ·) block and the
/// recurrent product is a single matrix multiply.
/// </summary>
/// <remarks>
/// <code>
/// parameters  W_hh (4H, H) here; W_ih, b_ih, b_hh through the input side
/// Forward     gates (N, 4H) = input side; then for t = 0..T−1:
///               gates_t += h_{t−1} · W_hhᵀ;  i, f, g, o = σ, σ, tanh, σ (gates_t now holds these)
///               c_t = f·c_{t−1} + i·g;  h_t = o·tanh(c_t)
///             output (N, H) = h_1..h_T, times a dropout mask when training with dropout
///             keeps: gates, c ((T+1)·B, H; block 0 is c₀), h (likewise), tanh(c), mask
/// Backward    dOutput (N, H) in: dL/d(output); dropout backward in place
///             for t = T−1..0: dh += dOutput_t; (dgates_t, dc) = cell backward; dh = dgates_t · W_hh
///             dh₀, dc₀ → the initial-state gradients; then the input side: dW_hh += dGᵀ · H_prev,
///             dW_ih, the biases, and (layers ≥ 1) dL/d(input) into dOutput for the layer below
/// </code>
/// </remarks>
internal sealed unsafe class LstmLayer
{
    private readonly PassContext _ctx;
    private readonly int _index;
    private readonly LstmLayerTensors _tensors;
    private readonly LayerInput _input;
    private readonly PackedMatrix _recurrentWeights = new(); // W_hhᵀ (H, 4H) packed
    private readonly PinnedBuffer _gates;     // (N, 4H): activations i, f, g, o
    private readonly PinnedBuffer _cell;      // ((T+1)·B, H): block 0 is the initial c
    private readonly PinnedBuffer _hidden;    // ((T+1)·B, H): block 0 is the initial h
    private readonly PinnedBuffer _tanhCell;  // (N, H)
    private readonly PinnedBuffer _mask;      // (N, H): dropout scale 0 or 1/(1−p); empty without dropout
    private readonly PinnedBuffer _dropped;   // (N, H): output after dropout; empty without dropout
    private bool _droppedOut;                 // the last forward applied dropout

    /// <summary>Layer <paramref name="index"/>, fed by <paramref name="input"/>.</summary>
    public LstmLayer(PassContext ctx, ParameterLayout layout, int index, LayerInput input)
    {
        _ctx = ctx;
        _index = index;
        _tensors = layout.Lstm[index];
        int n = ctx.Rows, h = ctx.Config.HiddenSize;
        _gates = new PinnedBuffer((long)n * 4 * h);
        _cell = new PinnedBuffer((long)(n + ctx.Batch) * h);
        _hidden = new PinnedBuffer((long)(n + ctx.Batch) * h);
        _tanhCell = new PinnedBuffer((long)n * h);
        bool dropout = ctx.Config.Dropout > 0;
        _mask = new PinnedBuffer(dropout ? (long)n * h : 0);
        _dropped = new PinnedBuffer(dropout ? (long)n * h : 0);
        _input = input;
    }

    /// <summary>The layer's output rows (N, H) of the last forward: h_1..h_T, after dropout when it ran.</summary>
    public MatrixView Output => _droppedOut
        ? MatrixView.Dense(_dropped.Pointer, _ctx.Rows, _ctx.Config.HiddenSize)
        : MatrixView.Dense(_hidden.Pointer + (long)_ctx.Batch * _ctx.Config.HiddenSize, _ctx.Rows, _ctx.Config.HiddenSize);

    /// <summary>
    /// Runs the layer over the batch from the initial state in <paramref name="state"/> (this layer's
    /// slice), leaving the state after the last step there. With <paramref name="dropoutRng"/> and a
    /// dropout rate, the output is masked (masks drawn in index order).
    /// </summary>
    public void Forward(float* parameters, LstmState state, Rng? dropoutRng)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, bsz = _ctx.Batch, h = _ctx.Config.HiddenSize, gw = 4 * h;
        _recurrentWeights.Pack(team, MatrixView.Dense(parameters + _tensors.RecurrentWeights.Offset, gw, h).Transposed);
        _ctx.Lap(StepPhase.Pack);
        float* gates = _gates.Pointer, hidden = _hidden.Pointer, cell = _cell.Pointer, tanhCell = _tanhCell.Pointer;
        _input.Forward(parameters, gates);

        // Initial state into block 0, then the recurrence.
        state.H.AsSpan(_index * bsz * h, bsz * h).CopyTo(_hidden.Span);
        state.C.AsSpan(_index * bsz * h, bsz * h).CopyTo(_cell.Span);
        for (int t = 0; t < _ctx.SeqLen; t++)
        {
            long rowT = (long)t * bsz;
            MatMul.Multiply(team, MatrixView.Dense(gates + rowT * gw, bsz, gw), MatrixView.Dense(hidden + rowT * h, bsz, h), _recurrentWeights,
                accumulate: true);
            _ctx.Lap(StepPhase.Recurrent);
            var cellJob = new CellJob
            {
                Gates = gates + rowT * gw, CPrev = cell + rowT * h, C = cell + rowT * h + (long)bsz * h,
                TanhC = tanhCell + rowT * h, H = hidden + rowT * h + (long)bsz * h, Hidden = h,
            };
            team.For(bsz, 1, &CellForwardRows, &cellJob);
            _ctx.Lap(StepPhase.CellForward);
        }
        _hidden.Span.Slice(n * h, bsz * h).CopyTo(state.H.AsSpan(_index * bsz * h));
        _cell.Span.Slice(n * h, bsz * h).CopyTo(state.C.AsSpan(_index * bsz * h));
        _droppedOut = dropoutRng is not null && _ctx.Config.Dropout > 0;
        if (_droppedOut) Dropout.Forward(_dropped.Span, _mask.Span, _hidden.Span.Slice(bsz * h, n * h), _ctx.Config.Dropout, dropoutRng!);
        _ctx.Lap(StepPhase.Other);
    }

    /// <summary>
    /// Backpropagates the last <see cref="Forward"/> from dL/d(output) in the pass's DOutput, adding
    /// this layer's parameter gradients into <paramref name="gradients"/> and writing dL/dh₀, dL/dc₀ into
    /// this layer's slice of <paramref name="initialHidden"/> and <paramref name="initialCell"/>
    /// (layers, B, H).
    /// </summary>
    public void Backward(float* parameters, float* gradients, float[] initialHidden, float[] initialCell)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, bsz = _ctx.Batch, h = _ctx.Config.HiddenSize, gw = 4 * h;
        float* dOut = _ctx.DOutput.Pointer, dGates = _ctx.DGates.Pointer, dh = _ctx.Dh.Pointer, dc = _ctx.Dc.Pointer;
        if (_droppedOut) Dropout.Backward(_ctx.DOutput.Span, _ctx.DOutput.Span, _mask.Span);
        var recurrent = _ctx.PackedRecurrent;
        recurrent.Pack(team, MatrixView.Dense(parameters + _tensors.RecurrentWeights.Offset, gw, h));
        _ctx.Lap(StepPhase.Pack);

        // Backward through time: the recurrent gradient dh and the cell gradient dc run right to left.
        _ctx.Dh.Span.Clear();
        _ctx.Dc.Span.Clear();
        float* gates = _gates.Pointer, cell = _cell.Pointer, tanhCell = _tanhCell.Pointer;
        for (int t = _ctx.SeqLen - 1; t >= 0; t--)
        {
            long rowT = (long)t * bsz;
            var cellJob = new CellJob
            {
                DGates = dGates + rowT * gw, Dc = dc, Dh = dh, DOut = dOut + rowT * h,
                Gates = gates + rowT * gw, CPrev = cell + rowT * h, TanhC = tanhCell + rowT * h, Hidden = h,
            };
            team.For(bsz, 1, &CellBackwardRows, &cellJob);
            _ctx.Lap(StepPhase.CellBackward);
            MatMul.Multiply(team, MatrixView.Dense(dh, bsz, h), MatrixView.Dense(dGates + rowT * gw, bsz, gw), recurrent, accumulate: false);
            _ctx.Lap(StepPhase.RecurrentBackward);
        }
        _ctx.Dh.Span.CopyTo(initialHidden.AsSpan(_index * bsz * h));
        _ctx.Dc.Span.CopyTo(initialCell.AsSpan(_index * bsz * h));

        // The weight gradients as big products after the sweep (dGᵀ read in place through its strides).
        var dRecurrentWeights = MatrixView.Dense(gradients + _tensors.RecurrentWeights.Offset, gw, h);
        var previousHidden = MatrixView.Dense(_hidden.Pointer, n, h); // h₀..h_{T−1}
        _input.Backward(parameters, gradients, dGates, dRecurrentWeights, previousHidden);
    }

    /// <summary>Bytes held by the layer and its input side (packed buffers count once used).</summary>
    public long BufferBytes => 4 * ((long)_gates.Length + _cell.Length + _hidden.Length + _tanhCell.Length + _mask.Length + _dropped.Length
        + _recurrentWeights.Capacity)
        + _input.BufferBytes;

    private struct CellJob
    {
        public float* Gates, CPrev, C, TanhC, H;
        public float* DGates, Dc, Dh, DOut;
        public int Hidden;
    }

    private static void CellForwardRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<CellJob>(state);
        int h = job.Hidden, rows = end - start;
        LstmCell.Forward(
            new Span<float>(job.C + (long)start * h, rows * h), new Span<float>(job.TanhC + (long)start * h, rows * h),
            new Span<float>(job.H + (long)start * h, rows * h), new Span<float>(job.Gates + (long)start * 4 * h, rows * 4 * h),
            new ReadOnlySpan<float>(job.CPrev + (long)start * h, rows * h), rows, h);
    }

    // dh += dOut_t (the gradient from above), then the cell backward, for a range of batch rows.
    private static void CellBackwardRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<CellJob>(state);
        int h = job.Hidden, rows = end - start;
        var dh = new Span<float>(job.Dh + (long)start * h, rows * h);
        TensorPrimitives.Add(dh, new ReadOnlySpan<float>(job.DOut + (long)start * h, rows * h), dh);
        LstmCell.Backward(
            new Span<float>(job.DGates + (long)start * 4 * h, rows * 4 * h), new Span<float>(job.Dc + (long)start * h, rows * h), dh,
            new ReadOnlySpan<float>(job.Gates + (long)start * 4 * h, rows * 4 * h), new ReadOnlySpan<float>(job.CPrev + (long)start * h, rows * h),
            new ReadOnlySpan<float>(job.TanhC + (long)start * h, rows * h), rows, h);
    }
}
