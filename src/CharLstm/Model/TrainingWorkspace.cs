using System.Numerics.Tensors;
using CharLstm.Numerics;
using CharLstm.Ops;

namespace CharLstm.Model;

/// <summary>
/// Forward and backward through time for a whole (B, T) batch: embedding or one-hot input, the
/// stacked LSTM, dropout, the head and the mean cross-entropy. Holds every activation the backward
/// pass needs, allocated once for its (batch, seqLen) and reused for every step.
/// </summary>
/// <remarks>
/// Activations are time-major: row <c>r = t·B + b</c>, so one time step of the batch is a contiguous
/// (B, ·) block and the recurrent product is a single matrix multiply. The caller's tokens are
/// batch-first (B, T), one row per stream.
/// </remarks>
public sealed unsafe class TrainingWorkspace
{
    private readonly ModelConfig _config;
    private readonly int _batch, _seqLen, _rows, _hidden, _vocab, _layers;

    // ---- forward activations (saved for backward) ----
    private readonly int[] _inputs;            // (N) time-major input tokens
    private readonly int[] _targets;           // (N) time-major targets
    private readonly float[]? _embedded;       // (N, E) embedding rows; null for one-hot input
    private readonly float[][] _weightIhT;     // per layer (In, 4H): W_ih transposed (one-hot: (V, 4H))
    private readonly float[][] _weightHhT;     // per layer (H, 4H)
    private readonly float[] _headT;           // (H, V)
    private readonly float[][] _gates;         // per layer (N, 4H): activations i, f, g, o
    private readonly float[][] _cell;          // per layer ((T+1)·B, H): block 0 is the initial c
    private readonly float[][] _hiddenSeq;     // per layer ((T+1)·B, H): block 0 is the initial h
    private readonly float[][] _tanhCell;      // per layer (N, H)
    private readonly float[][] _mask;          // per layer (N, H): dropout scale 0 or 1/(1−p)
    private readonly float[][] _dropped;       // per layer (N, H): output after dropout
    private readonly float[] _logits;          // (N, V)
    private readonly float[] _probs;           // (N, V)

    // ---- backward scratch ----
    private readonly float[] _dLogits;         // (N, V)
    private readonly float[] _dLogitsT;        // (V, N)
    private readonly float[] _dOutput;         // (N, H): dL/d(layer output)
    private readonly float[] _dGates;          // (N, 4H)
    private readonly float[] _dGatesT;         // (4H, N)
    private readonly float[] _dInput;          // (N, E): dL/d(embedded input); empty for one-hot
    private readonly float[] _dWeightIhT;      // (V, 4H): one-hot input weight gradient, scattered by token
    private readonly float[] _dh, _dc;         // (B, H)

    private bool _dropoutActive;
    private bool _haveForward;

    /// <summary>Allocates buffers for batches of <paramref name="batch"/> streams × <paramref name="seqLen"/> steps.</summary>
    /// <param name="config">The model's shape.</param>
    /// <param name="batch">Streams per batch.</param>
    /// <param name="seqLen">Time steps per batch.</param>
    /// <param name="threads">Compute threads (not used yet: the engine runs on one).</param>
    public TrainingWorkspace(ModelConfig config, int batch, int seqLen, int threads = 1)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        config.Validate();
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, "sequence length must be at least 1");
        _config = config;
        _batch = batch; _seqLen = seqLen; _rows = checked(batch * seqLen);
        _hidden = config.HiddenSize; _vocab = config.VocabSize; _layers = config.Layers;
        int n = _rows, h = _hidden, v = _vocab, gw = 4 * h;
        _inputs = new int[n];
        _targets = new int[n];
        _embedded = config.OneHot ? null : new float[checked(n * config.EmbeddingSize)];
        _weightIhT = new float[_layers][];
        _weightHhT = new float[_layers][];
        _gates = new float[_layers][];
        _cell = new float[_layers][];
        _hiddenSeq = new float[_layers][];
        _tanhCell = new float[_layers][];
        _mask = new float[_layers][];
        _dropped = new float[_layers][];
        for (int l = 0; l < _layers; l++)
        {
            _weightIhT[l] = new float[checked(config.LayerInputSize(l) * gw)];
            _weightHhT[l] = new float[h * gw];
            _gates[l] = new float[checked(n * gw)];
            _cell[l] = new float[checked((n + batch) * h)];
            _hiddenSeq[l] = new float[checked((n + batch) * h)];
            _tanhCell[l] = new float[checked(n * h)];
            _mask[l] = config.Dropout > 0 ? new float[n * h] : [];
            _dropped[l] = config.Dropout > 0 ? new float[n * h] : [];
        }
        _headT = new float[h * v];
        _logits = new float[checked(n * v)];
        _probs = new float[n * v];
        _dLogits = new float[n * v];
        _dLogitsT = new float[n * v];
        _dOutput = new float[n * h];
        _dGates = new float[n * gw];
        _dGatesT = new float[n * gw];
        _dInput = config.OneHot ? [] : new float[n * config.EmbeddingSize];
        _dWeightIhT = config.OneHot ? new float[v * gw] : [];
        _dh = new float[batch * h];
        _dc = new float[batch * h];
        InitialHiddenGradient = new float[_layers * batch * h];
        InitialCellGradient = new float[_layers * batch * h];
        long floats = (long)(_embedded?.Length ?? 0) + _logits.Length + _probs.Length + _dLogits.Length + _dLogitsT.Length + _dOutput.Length
            + _dGates.Length + _dGatesT.Length + _dInput.Length + _dWeightIhT.Length + _dh.Length + _dc.Length + _headT.Length
            + InitialHiddenGradient.Length + InitialCellGradient.Length + _inputs.Length + _targets.Length;
        foreach (var group in new[] { _weightIhT, _weightHhT, _gates, _cell, _hiddenSeq, _tanhCell, _mask, _dropped })
            foreach (var array in group) floats += array.Length;
        BufferBytes = 4 * floats;
    }

    /// <summary>Streams per batch.</summary>
    public int Batch => _batch;
    /// <summary>Compute threads actually used.</summary>
    public int Threads => 1;
    /// <summary>Bytes held by the workspace's buffers (saved activations and backward scratch).</summary>
    public long BufferBytes { get; }
    /// <summary>Time steps per batch.</summary>
    public int SeqLen => _seqLen;

    /// <summary>dL/dh₀ after <see cref="Backward"/>, (layers, batch, hidden).</summary>
    public float[] InitialHiddenGradient { get; }
    /// <summary>dL/dc₀ after <see cref="Backward"/>, (layers, batch, hidden).</summary>
    public float[] InitialCellGradient { get; }

    /// <summary>Logits of the last forward pass, time-major (T, B, V).</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>Softmax probabilities of the last forward pass, time-major (T, B, V).</summary>
    public ReadOnlySpan<float> Probabilities => _probs;

    // =============================================================================================
    // Forward
    // =============================================================================================

    /// <summary>
    /// Runs the batch forward and returns the mean cross-entropy over all B×T positions (nats).
    /// </summary>
    /// <param name="model">Parameters (read only).</param>
    /// <param name="inputs">(B, T) input tokens, batch-first.</param>
    /// <param name="targets">(B, T) next-character tokens, batch-first.</param>
    /// <param name="state">In: the initial state; out: the state after the last step (carry it to the next batch).</param>
    /// <param name="training">Apply dropout (with <paramref name="rng"/>); evaluation passes leave it off.</param>
    /// <param name="rng">Draws dropout masks; needed only when training with dropout.</param>
    public float Forward(LstmModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, LstmState state, bool training, Rng? rng = null)
    {
        CheckShapes(model, inputs, targets, state);
        int n = _rows, bsz = _batch, h = _hidden, v = _vocab, gw = 4 * h;
        for (int b = 0; b < bsz; b++)
            for (int t = 0; t < _seqLen; t++)
            {
                int tok = inputs[b * _seqLen + t], tgt = targets[b * _seqLen + t];
                if ((uint)tok >= (uint)v || (uint)tgt >= (uint)v) throw new ArgumentOutOfRangeException(nameof(inputs), $"token out of range 0..{v - 1} at stream {b}, step {t}");
                _inputs[t * bsz + b] = tok;
                _targets[t * bsz + b] = tgt;
            }
        _dropoutActive = training && _config.Dropout > 0;
        if (_dropoutActive && rng is null) throw new ArgumentNullException(nameof(rng), "dropout needs a random generator while training");

        float[] p = model.Parameters;
        var layout = model.Layout;
        fixed (float* prm = p)
        {
            if (_embedded is not null) EmbeddingForward(_embedded, p.AsSpan(layout["embedding.weight"].Offset), _inputs, _config.EmbeddingSize);
            for (int l = 0; l < _layers; l++)
            {
                int inSize = _config.LayerInputSize(l);
                float* wih = prm + layout[$"lstm.weight_ih_l{l}"].Offset;
                float* whh = prm + layout[$"lstm.weight_hh_l{l}"].Offset;
                var bih = p.AsSpan(layout[$"lstm.bias_ih_l{l}"].Offset, gw);
                var bhh = p.AsSpan(layout[$"lstm.bias_hh_l{l}"].Offset, gw);
                fixed (float* wihT = _weightIhT[l], whhT = _weightHhT[l], gates = _gates[l], hs = _hiddenSeq[l])
                {
                    MatMul.Transpose(wihT, gw, wih, inSize, gw, inSize);
                    MatMul.Transpose(whhT, gw, whh, h, gw, h);

                    // Input projection for all T steps at once: gates = X · W_ihᵀ (+ both biases below).
                    if (l == 0 && _config.OneHot)
                        for (int r = 0; r < n; r++) _weightIhT[0].AsSpan(_inputs[r] * gw, gw).CopyTo(_gates[0].AsSpan(r * gw, gw));
                    else
                    {
                        var (xArr, xOff) = LayerInput(l);
                        fixed (float* x = xArr) MatMul.Multiply(gates, gw, x + xOff, inSize, wihT, gw, n, gw, inSize, accumulate: false);
                    }
                    for (int r = 0; r < n; r++)
                    {
                        var row = _gates[l].AsSpan(r * gw, gw);
                        TensorPrimitives.Add(row, bih, row);
                        TensorPrimitives.Add(row, bhh, row);
                    }

                    // Initial state into block 0, then the recurrence.
                    state.H.AsSpan(l * bsz * h, bsz * h).CopyTo(_hiddenSeq[l]);
                    state.C.AsSpan(l * bsz * h, bsz * h).CopyTo(_cell[l]);
                    for (int t = 0; t < _seqLen; t++)
                    {
                        MatMul.Multiply(gates + (long)t * bsz * gw, gw, hs + (long)t * bsz * h, h, whhT, gw, bsz, gw, h, accumulate: true);
                        LstmCell.Forward(
                            _cell[l].AsSpan((t + 1) * bsz * h, bsz * h), _tanhCell[l].AsSpan(t * bsz * h, bsz * h),
                            _hiddenSeq[l].AsSpan((t + 1) * bsz * h, bsz * h), _gates[l].AsSpan(t * bsz * gw, bsz * gw),
                            _cell[l].AsSpan(t * bsz * h, bsz * h), bsz, h);
                    }
                    _hiddenSeq[l].AsSpan(n * h, bsz * h).CopyTo(state.H.AsSpan(l * bsz * h));
                    _cell[l].AsSpan(n * h, bsz * h).CopyTo(state.C.AsSpan(l * bsz * h));
                }
                if (_dropoutActive) Dropout.Forward(_dropped[l], _mask[l], LayerOutput(l), _config.Dropout, rng!);
            }

            // Head: logits = Y · W_headᵀ + b.
            float* headW = prm + layout["head.weight"].Offset;
            var headB = p.AsSpan(layout["head.bias"].Offset, v);
            fixed (float* headT = _headT, logits = _logits, y = LayerOutputArray(_layers - 1))
            {
                MatMul.Transpose(headT, v, headW, h, v, h);
                MatMul.Multiply(logits, v, y + LayerOutputOffset(_layers - 1), h, headT, v, n, v, h, accumulate: false);
            }
            for (int r = 0; r < n; r++) TensorPrimitives.Add(_logits.AsSpan(r * v, v), headB, _logits.AsSpan(r * v, v));
        }
        double sum = SoftmaxCrossEntropy.Forward(_probs, _logits, _targets, n, v);
        _haveForward = true;
        return (float)(sum / n);
    }

    // Embedding: x[r] = table[token[r]]   (N, E) ← (V, E)
    private static void EmbeddingForward(Span<float> x, ReadOnlySpan<float> table, ReadOnlySpan<int> tokens, int width)
    {
        for (int r = 0; r < tokens.Length; r++) table.Slice(tokens[r] * width, width).CopyTo(x.Slice(r * width, width));
    }

    // Embedding backward: dTable[token[r]] += dx[r], rows in ascending order (deterministic).
    private static void EmbeddingBackward(Span<float> dTable, ReadOnlySpan<float> dx, ReadOnlySpan<int> tokens, int width)
    {
        for (int r = 0; r < tokens.Length; r++)
        {
            var dst = dTable.Slice(tokens[r] * width, width);
            TensorPrimitives.Add(dst, dx.Slice(r * width, width), dst);
        }
    }

    // The input of layer l (array and first element): the embedding rows, or the previous layer's output.
    private (float[] Array, int Offset) LayerInput(int l) => l == 0 ? (_embedded!, 0) : (LayerOutputArray(l - 1), LayerOutputOffset(l - 1));

    // A layer's output rows h₁..h_T live in _hiddenSeq after block 0, or in _dropped when dropout is on.
    private float[] LayerOutputArray(int l) => _dropoutActive ? _dropped[l] : _hiddenSeq[l];
    private int LayerOutputOffset(int l) => _dropoutActive ? 0 : _batch * _hidden;
    private Span<float> LayerOutput(int l) => _hiddenSeq[l].AsSpan(_batch * _hidden, _rows * _hidden);

    private void CheckShapes(LstmModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, LstmState state)
    {
        if (model.Config != _config) throw new ArgumentException("The model's configuration differs from the workspace's.", nameof(model));
        if (inputs.Length != _rows || targets.Length != _rows) throw new ArgumentException($"inputs and targets must hold {_batch}×{_seqLen} tokens.");
        if (state.Layers != _layers || state.Batch != _batch || state.Hidden != _hidden) throw new ArgumentException("The state's shape differs from the workspace's.", nameof(state));
    }

    // =============================================================================================
    // Backward
    // =============================================================================================

    /// <summary>
    /// Backpropagates the last <see cref="Forward"/> through time and ADDS every parameter's gradient
    /// into <paramref name="gradients"/> (same layout as the parameters; clear it first for a fresh
    /// step). Also fills <see cref="InitialHiddenGradient"/> and <see cref="InitialCellGradient"/>.
    /// </summary>
    public void Backward(LstmModel model, float[] gradients)
    {
        if (!_haveForward) throw new InvalidOperationException("Backward needs a Forward first.");
        if (gradients.Length != model.Parameters.Length) throw new ArgumentException("The gradient buffer must mirror the parameter buffer.", nameof(gradients));
        int n = _rows, bsz = _batch, h = _hidden, v = _vocab, gw = 4 * h;
        var layout = model.Layout;
        float[] p = model.Parameters;

        SoftmaxCrossEntropy.Backward(_dLogits, _probs, _targets, n, v, 1f / n);
        fixed (float* prm = p, grad = gradients, dLogits = _dLogits, dLogitsT = _dLogitsT, dOut = _dOutput,
               dGates = _dGates, dGatesT = _dGatesT, dh = _dh)
        {
            // Head: dW += dLogitsᵀ · Y; db += Σ rows; dY = dLogits · W.
            var headW = layout["head.weight"];
            MatMul.Transpose(dLogitsT, n, dLogits, v, n, v);
            fixed (float* y = LayerOutputArray(_layers - 1))
                MatMul.Multiply(grad + headW.Offset, h, dLogitsT, n, y + LayerOutputOffset(_layers - 1), h, v, h, n, accumulate: true);
            AddRowSums(gradients.AsSpan(layout["head.bias"].Offset, v), _dLogits, n, v);
            MatMul.Multiply(dOut, h, dLogits, v, prm + headW.Offset, h, n, h, v, accumulate: false);

            for (int l = _layers - 1; l >= 0; l--)
            {
                if (_dropoutActive) Dropout.Backward(_dOutput, _dOutput, _mask[l]);
                int inSize = _config.LayerInputSize(l);
                var wih = layout[$"lstm.weight_ih_l{l}"];
                var whh = layout[$"lstm.weight_hh_l{l}"];

                // Backward through time: the recurrent gradient dh and the cell gradient dc run right to left.
                Array.Clear(_dh);
                Array.Clear(_dc);
                for (int t = _seqLen - 1; t >= 0; t--)
                {
                    var dhSpan = _dh.AsSpan();
                    TensorPrimitives.Add(dhSpan, _dOutput.AsSpan(t * bsz * h, bsz * h), dhSpan);
                    LstmCell.Backward(_dGates.AsSpan(t * bsz * gw, bsz * gw), _dc, _dh,
                        _gates[l].AsSpan(t * bsz * gw, bsz * gw), _cell[l].AsSpan(t * bsz * h, bsz * h),
                        _tanhCell[l].AsSpan(t * bsz * h, bsz * h), bsz, h);
                    MatMul.Multiply(dh, h, dGates + (long)t * bsz * gw, gw, prm + whh.Offset, h, bsz, h, gw, accumulate: false);
                }
                _dh.CopyTo(InitialHiddenGradient, l * bsz * h);
                _dc.CopyTo(InitialCellGradient, l * bsz * h);

                // Weight gradients as big multiplies after the sweep: dW_hh += dGᵀ · H_prev, dW_ih += dGᵀ · X.
                MatMul.Transpose(dGatesT, n, dGates, gw, n, gw);
                fixed (float* hs = _hiddenSeq[l])
                    MatMul.Multiply(grad + whh.Offset, h, dGatesT, n, hs, h, gw, h, n, accumulate: true);
                AddRowSums(gradients.AsSpan(layout[$"lstm.bias_ih_l{l}"].Offset, gw), _dGates, n, gw);
                AddRowSums(gradients.AsSpan(layout[$"lstm.bias_hh_l{l}"].Offset, gw), _dGates, n, gw);

                if (l == 0 && _config.OneHot)
                {
                    // x is one-hot: dW_ihᵀ[token] += dG[r]; then add its transpose into dW_ih.
                    Array.Clear(_dWeightIhT);
                    EmbeddingBackward(_dWeightIhT, _dGates, _inputs, gw);
                    var dst = gradients.AsSpan(wih.Offset, wih.Length);
                    for (int gRow = 0; gRow < gw; gRow++)
                        for (int tok = 0; tok < v; tok++) dst[gRow * v + tok] += _dWeightIhT[tok * gw + gRow];
                    continue;
                }
                var (inArr, inOff) = LayerInput(l);
                fixed (float* x = inArr)
                    MatMul.Multiply(grad + wih.Offset, inSize, dGatesT, n, x + inOff, inSize, gw, inSize, n, accumulate: true);

                // Gradient for the layer below (or the embedding): dX = dG · W_ih.
                if (l > 0)
                    MatMul.Multiply(dOut, h, dGates, gw, prm + wih.Offset, inSize, n, inSize, gw, accumulate: false);
                else
                    fixed (float* dIn = _dInput)
                    {
                        MatMul.Multiply(dIn, inSize, dGates, gw, prm + wih.Offset, inSize, n, inSize, gw, accumulate: false);
                        EmbeddingBackward(gradients.AsSpan(layout["embedding.weight"].Offset), _dInput, _inputs, inSize);
                    }
            }
        }
    }

    // sums[j] += Σ_r m[r, j], rows in ascending order.
    private static void AddRowSums(Span<float> sums, ReadOnlySpan<float> m, int rows, int cols)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, m.Slice(r * cols, cols), sums);
    }
}
