using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using CharLstm.Benchmarking;
using CharLstm.Numerics;
using CharLstm.Ops;

// Job structs for the thread team live on the caller's stack and are passed by pointer; some hold
// object references, which is safe here: the caller's frame keeps them alive and the caller waits
// until every member is done.
#pragma warning disable CS8500

namespace CharLstm.Model;

/// <summary>
/// Forward and backward through time for a whole (B, T) batch: embedding or one-hot input, the
/// stacked LSTM, dropout, the head and the mean cross-entropy. Holds every activation the backward
/// pass needs, allocated once for its (batch, seqLen) and reused for every step.
/// </summary>
/// <remarks>
/// <para>Activations are time-major: row <c>r = t·B + b</c>, so one time step of the batch is a
/// contiguous (B, ·) block and the recurrent product is a single matrix multiply. The caller's
/// tokens are batch-first (B, T), one row per stream.</para>
/// <para>With <c>threads</c> &gt; 1 the work is shared by a team: the products by output tiles,
/// the pointwise steps by rows (bias sums by columns). Every output element is computed by one
/// thread in a fixed order, so results are the same bits for any thread count.</para>
/// </remarks>
public sealed unsafe class TrainingWorkspace : IDisposable
{
    private readonly ModelConfig _config;
    private readonly int _batch, _seqLen, _rows, _hidden, _vocab, _layers;
    private readonly ThreadTeam _team;

    // ---- forward activations (saved for backward) ----
    private readonly int[] _inputs;            // (N) time-major input tokens
    private readonly int[] _targets;           // (N) time-major targets
    private readonly float[] _inputTable;      // (V, 4H): layer 0's gate pre-activations for each token, biases included
    private readonly PackedMatrix[] _inputWeights;     // per layer: W_ihᵀ (In, 4H) packed (unused for one-hot layer 0)
    private readonly PackedMatrix[] _recurrentWeights; // per layer: W_hhᵀ (H, 4H) packed
    private readonly PackedMatrix _headWeights;        // W_headᵀ (H, V) packed
    private readonly float[][] _gates;         // per layer (N, 4H): activations i, f, g, o
    private readonly float[][] _cell;          // per layer ((T+1)·B, H): block 0 is the initial c
    private readonly float[][] _hiddenSeq;     // per layer ((T+1)·B, H): block 0 is the initial h
    private readonly float[][] _tanhCell;      // per layer (N, H)
    private readonly float[][] _mask;          // per layer (N, H): dropout scale 0 or 1/(1−p)
    private readonly float[][] _dropped;       // per layer (N, H): output after dropout
    private readonly float[] _logits;          // (N, V)
    private readonly float[] _probs;           // (N, V)
    private readonly double[] _rowLoss;        // (N): −log p[target] per row, summed in order

    // ---- backward scratch ----
    private readonly float[] _dLogits;         // (N, V)
    private readonly float[] _dOutput;         // (N, H): dL/d(layer output)
    private readonly float[] _dGates;          // (N, 4H)
    private readonly float[] _dTable;          // (V, 4H): layer 0's gate gradients summed by input token
    private readonly float[] _dh, _dc;         // (B, H)
    private readonly PackedMatrix _backWeights;     // W_hh (4H, H), W_ih (4H, In) or W_head (V, H) packed as B
    private readonly PackedMatrix _backRecurrent;   // W_hh (4H, H) packed, for the per-step dh product
    private readonly PackedMatrix _activations;     // an activation (N, ·) packed as B for a weight gradient

    /// <summary>When set, each phase's wall time is charged to it (the bench verb's profile).</summary>
    internal PhaseClock? Clock { get; set; }

    private bool _dropoutActive;
    private bool _haveForward;

    /// <summary>Allocates buffers for batches of <paramref name="batch"/> streams × <paramref name="seqLen"/> steps.</summary>
    /// <param name="config">The model's shape.</param>
    /// <param name="batch">Streams per batch.</param>
    /// <param name="seqLen">Time steps per batch.</param>
    /// <param name="threads">Compute threads (the caller's included). Results are identical for every count.</param>
    public TrainingWorkspace(ModelConfig config, int batch, int seqLen, int threads = 1)
    {
        config.Validate();
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, "sequence length must be at least 1");
        if (threads < 1 || threads > 256) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 1 to 256");
        _config = config;
        _batch = batch; _seqLen = seqLen; _rows = checked(batch * seqLen);
        _hidden = config.HiddenSize; _vocab = config.VocabSize; _layers = config.Layers;
        _team = new ThreadTeam(threads);
        int n = _rows, h = _hidden, v = _vocab, gw = 4 * h;
        _inputs = new int[n];
        _targets = new int[n];
        _inputTable = new float[checked(v * gw)];
        _inputWeights = new PackedMatrix[_layers];
        _recurrentWeights = new PackedMatrix[_layers];
        _gates = new float[_layers][];
        _cell = new float[_layers][];
        _hiddenSeq = new float[_layers][];
        _tanhCell = new float[_layers][];
        _mask = new float[_layers][];
        _dropped = new float[_layers][];
        for (int l = 0; l < _layers; l++)
        {
            _inputWeights[l] = new PackedMatrix();
            _recurrentWeights[l] = new PackedMatrix();
            _gates[l] = new float[checked(n * gw)];
            _cell[l] = new float[checked((n + batch) * h)];
            _hiddenSeq[l] = new float[checked((n + batch) * h)];
            _tanhCell[l] = new float[checked(n * h)];
            _mask[l] = config.Dropout > 0 ? new float[n * h] : [];
            _dropped[l] = config.Dropout > 0 ? new float[n * h] : [];
        }
        _headWeights = new PackedMatrix();
        _logits = new float[checked(n * v)];
        _probs = new float[n * v];
        _rowLoss = new double[n];
        _dLogits = new float[n * v];
        _dOutput = new float[n * h];
        _dGates = new float[n * gw];
        _dTable = new float[v * gw];
        _dh = new float[batch * h];
        _dc = new float[batch * h];
        _backWeights = new PackedMatrix();
        _backRecurrent = new PackedMatrix();
        _activations = new PackedMatrix();
        InitialHiddenGradient = new float[_layers * batch * h];
        InitialCellGradient = new float[_layers * batch * h];
    }

    /// <summary>Streams per batch.</summary>
    public int Batch => _batch;
    /// <summary>Time steps per batch.</summary>
    public int SeqLen => _seqLen;
    /// <summary>Stops the worker threads (a workspace with threads &gt; 1 holds them until disposed).</summary>
    public void Dispose() => _team.Dispose();

    /// <summary>Compute threads used (the caller's included).</summary>
    public int Threads => _team.Size;

    /// <summary>
    /// Bytes held by the workspace's buffers: saved activations, backward scratch and packed weights
    /// (packed buffers count once they have been used).
    /// </summary>
    public long BufferBytes
    {
        get
        {
            long floats = (long)_inputTable.Length + _logits.Length + _probs.Length + 2 * _rowLoss.Length
                + _dLogits.Length + _dOutput.Length + _dGates.Length + _dTable.Length + _dh.Length + _dc.Length
                + InitialHiddenGradient.Length + InitialCellGradient.Length + _inputs.Length + _targets.Length
                + _headWeights.Capacity + _backWeights.Capacity + _backRecurrent.Capacity + _activations.Capacity
                + ThreadTeam.ScratchFloats * (long)_team.Size;
            foreach (var group in new[] { _gates, _cell, _hiddenSeq, _tanhCell, _mask, _dropped })
                foreach (var array in group) floats += array.Length;
            for (int l = 0; l < _layers; l++) floats += _inputWeights[l].Capacity + _recurrentWeights[l].Capacity;
            return 4 * floats;
        }
    }

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
        Clock?.Restart();
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
            for (int l = 0; l < _layers; l++)
            {
                int inSize = _config.LayerInputSize(l);
                float* wih = prm + layout[$"lstm.weight_ih_l{l}"].Offset;
                float* whh = prm + layout[$"lstm.weight_hh_l{l}"].Offset;
                float* bih = prm + layout[$"lstm.bias_ih_l{l}"].Offset;
                float* bhh = prm + layout[$"lstm.bias_hh_l{l}"].Offset;
                _recurrentWeights[l].Pack(_team, MatrixView.Dense(whh, gw, h).Transposed);
                Clock?.Lap(Phase.Pack);
                fixed (float* gates = _gates[l], hs = _hiddenSeq[l], cs = _cell[l], tc = _tanhCell[l])
                {
                    // Input projection for all T steps at once: gates = (b_ih + b_hh) + X · W_ihᵀ.
                    if (l == 0)
                    {
                        // Layer 0's input is one of V tokens, so its projection takes one of V rows:
                        // the table (b_ih + b_hh) + onehot(v) · W_ihᵀ, or + E[v] · W_ihᵀ through an
                        // embedding, built once (V rows, not B·T) and gathered. Each row is the chain
                        // the B·T product would compute for that token, so the same bits.
                        fixed (float* table = _inputTable)
                        {
                            var bias = new GatherJob { Gates = table, Bih = bih, Bhh = bhh, Width = gw };
                            _team.For(v, 1, &BiasRows, &bias);
                            if (_config.OneHot) MatMul.Transpose(MatrixView.Dense(table, v, gw), new MatrixView(wih, gw, v, inSize), accumulate: true); // table += W_ihᵀ
                            else
                            {
                                _inputWeights[l].Pack(_team, MatrixView.Dense(wih, gw, inSize).Transposed);
                                MatMul.Multiply(_team, MatrixView.Dense(table, v, gw), MatrixView.Dense(prm + layout["embedding.weight"].Offset, v, inSize), _inputWeights[l], accumulate: true);
                            }
                        }
                        var job = new GatherJob { Gates = gates, Table = _inputTable, Tokens = _inputs, Width = gw };
                        _team.For(n, 1, &GatherRows, &job);
                        Clock?.Lap(Phase.InputProjection);
                    }
                    else
                    {
                        _inputWeights[l].Pack(_team, MatrixView.Dense(wih, gw, inSize).Transposed);
                        Clock?.Lap(Phase.Pack);
                        var job = new GatherJob { Gates = gates, Bih = bih, Bhh = bhh, Width = gw };
                        _team.For(n, 1, &BiasRows, &job);
                        Clock?.Lap(Phase.InputProjection);
                        var (xArr, xOff) = LayerInput(l);
                        fixed (float* x = xArr) MatMul.Multiply(_team, MatrixView.Dense(gates, n, gw), MatrixView.Dense(x + xOff, n, inSize), _inputWeights[l], accumulate: true);
                        Clock?.Lap(Phase.InputProjection);
                    }

                    // Initial state into block 0, then the recurrence.
                    state.H.AsSpan(l * bsz * h, bsz * h).CopyTo(_hiddenSeq[l]);
                    state.C.AsSpan(l * bsz * h, bsz * h).CopyTo(_cell[l]);
                    for (int t = 0; t < _seqLen; t++)
                    {
                        long rowT = (long)t * bsz;
                        MatMul.Multiply(_team, MatrixView.Dense(gates + rowT * gw, bsz, gw), MatrixView.Dense(hs + rowT * h, bsz, h), _recurrentWeights[l], accumulate: true);
                        Clock?.Lap(Phase.Recurrent);
                        var cellJob = new CellJob
                        {
                            Gates = gates + rowT * gw, CPrev = cs + rowT * h, C = cs + rowT * h + (long)bsz * h,
                            TanhC = tc + rowT * h, H = hs + rowT * h + (long)bsz * h, Hidden = h,
                        };
                        _team.For(bsz, 1, &CellForwardRows, &cellJob);
                        Clock?.Lap(Phase.CellForward);
                    }
                    _hiddenSeq[l].AsSpan(n * h, bsz * h).CopyTo(state.H.AsSpan(l * bsz * h));
                    _cell[l].AsSpan(n * h, bsz * h).CopyTo(state.C.AsSpan(l * bsz * h));
                }
                if (_dropoutActive) Dropout.Forward(_dropped[l], _mask[l], LayerOutput(l), _config.Dropout, rng!);
                Clock?.Lap(Phase.Other);
            }

            // Head: logits = b + Y · W_headᵀ; then softmax and the loss, row by row.
            float* headW = prm + layout["head.weight"].Offset;
            float* headB = prm + layout["head.bias"].Offset;
            _headWeights.Pack(_team, MatrixView.Dense(headW, v, h).Transposed);
            Clock?.Lap(Phase.Pack);
            fixed (float* logits = _logits, probs = _probs, y = LayerOutputArray(_layers - 1))
            fixed (int* tg = _targets)
            fixed (double* rowLoss = _rowLoss)
            {
                var biasJob = new GatherJob { Gates = logits, Bih = headB, Width = v };
                _team.For(n, 1, &BiasRows, &biasJob);
                MatMul.Multiply(_team, MatrixView.Dense(logits, n, v), MatrixView.Dense(y + LayerOutputOffset(_layers - 1), n, h), _headWeights, accumulate: true);
                Clock?.Lap(Phase.Head);
                var lossJob = new LossJob { Logits = logits, Probs = probs, Targets = tg, RowLoss = rowLoss, Vocab = v };
                _team.For(n, 16, &LossRows, &lossJob);
                Clock?.Lap(Phase.Loss);
            }
        }
        double sum = 0;
        for (int r = 0; r < n; r++) sum += _rowLoss[r];
        _haveForward = true;
        return (float)(sum / n);
    }

    // The input of layer l ≥ 1 (array and first element): the previous layer's output.
    private (float[] Array, int Offset) LayerInput(int l) => (LayerOutputArray(l - 1), LayerOutputOffset(l - 1));

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
        Clock?.Restart();

        fixed (float* prm = p, grad = gradients, dLogits = _dLogits, probs = _probs, dOut = _dOutput, dGates = _dGates, dh = _dh, dc = _dc)
        fixed (int* tg = _targets)
        {
            var lossJob = new LossJob { Logits = dLogits, Probs = probs, Targets = tg, Vocab = v, Scale = 1f / n };
            _team.For(n, 16, &LossBackwardRows, &lossJob);
            Clock?.Lap(Phase.Loss);

            // Head: dW += dLogitsᵀ · Y; db += Σ rows; dY = dLogits · W.
            var headW = layout["head.weight"];
            fixed (float* y = LayerOutputArray(_layers - 1))
            {
                _activations.Pack(_team, MatrixView.Dense(y + LayerOutputOffset(_layers - 1), n, h));
                Clock?.Lap(Phase.Pack);
                MatMul.Multiply(_team, MatrixView.Dense(grad + headW.Offset, v, h), MatrixView.Dense(dLogits, n, v).Transposed, _activations, accumulate: true);
                Clock?.Lap(Phase.WeightGradients);
            }
            ColumnSums(grad + layout["head.bias"].Offset, null, dLogits, n, v);
            Clock?.Lap(Phase.BiasSums);
            _backWeights.Pack(_team, MatrixView.Dense(prm + headW.Offset, v, h));
            Clock?.Lap(Phase.Pack);
            MatMul.Multiply(_team, MatrixView.Dense(dOut, n, h), MatrixView.Dense(dLogits, n, v), _backWeights, accumulate: false);
            Clock?.Lap(Phase.InputGradients);

            for (int l = _layers - 1; l >= 0; l--)
            {
                if (_dropoutActive) Dropout.Backward(_dOutput, _dOutput, _mask[l]);
                int inSize = _config.LayerInputSize(l);
                var wih = layout[$"lstm.weight_ih_l{l}"];
                var whh = layout[$"lstm.weight_hh_l{l}"];
                _backRecurrent.Pack(_team, MatrixView.Dense(prm + whh.Offset, gw, h));
                Clock?.Lap(Phase.Pack);

                // Backward through time: the recurrent gradient dh and the cell gradient dc run right to left.
                Array.Clear(_dh);
                Array.Clear(_dc);
                fixed (float* gates = _gates[l], cs = _cell[l], tc = _tanhCell[l])
                {
                    for (int t = _seqLen - 1; t >= 0; t--)
                    {
                        long rowT = (long)t * bsz;
                        var cellJob = new CellJob
                        {
                            DGates = dGates + rowT * gw, Dc = dc, Dh = dh, DOut = dOut + rowT * h,
                            Gates = gates + rowT * gw, CPrev = cs + rowT * h, TanhC = tc + rowT * h, Hidden = h,
                        };
                        _team.For(bsz, 1, &CellBackwardRows, &cellJob);
                        Clock?.Lap(Phase.CellBackward);
                        MatMul.Multiply(_team, MatrixView.Dense(dh, bsz, h), MatrixView.Dense(dGates + rowT * gw, bsz, gw), _backRecurrent, accumulate: false);
                        Clock?.Lap(Phase.RecurrentBackward);
                    }
                }
                _dh.CopyTo(InitialHiddenGradient, l * bsz * h);
                _dc.CopyTo(InitialCellGradient, l * bsz * h);

                // Weight gradients as big multiplies after the sweep: dW_hh += dGᵀ · H_prev, dW_ih += dGᵀ · X
                // (dGᵀ read in place through its strides).
                // Above layer 0 both products share A = dGᵀ: when X's width allows it, one product
                // with B = [X | H_prev] packs dGᵀ once and gives each packed row block twice the columns
                // (the same chain per element, so the same bits as two products).
                bool together = l > 0 && inSize % PackedMatrix.Width == 0;
                fixed (float* hs = _hiddenSeq[l])
                {
                    if (together)
                    {
                        var (xArr, xOff) = LayerInput(l);
                        fixed (float* x = xArr)
                        {
                            _activations.PackSideBySide(_team, MatrixView.Dense(x + xOff, n, inSize), MatrixView.Dense(hs, n, h));
                            Clock?.Lap(Phase.Pack);
                            MatMul.MultiplySplit(_team, MatrixView.Dense(grad + wih.Offset, gw, inSize), MatrixView.Dense(grad + whh.Offset, gw, h), MatrixView.Dense(dGates, n, gw).Transposed, _activations, accumulate: true);
                            Clock?.Lap(Phase.WeightGradients);
                        }
                    }
                    else
                    {
                        _activations.Pack(_team, MatrixView.Dense(hs, n, h));
                        Clock?.Lap(Phase.Pack);
                        MatMul.Multiply(_team, MatrixView.Dense(grad + whh.Offset, gw, h), MatrixView.Dense(dGates, n, gw).Transposed, _activations, accumulate: true);
                        Clock?.Lap(Phase.WeightGradients);
                    }
                }
                float* dBih = grad + layout[$"lstm.bias_ih_l{l}"].Offset, dBhh = grad + layout[$"lstm.bias_hh_l{l}"].Offset;
                if (l > 0)
                {
                    ColumnSums(dBih, dBhh, dGates, n, gw);
                    Clock?.Lap(Phase.BiasSums);
                }

                if (l == 0)
                {
                    // Layer 0's input is a token: sum dG's rows by token first, S[v] = Σ dG[r] over the
                    // rows whose token is v (rows in order, columns split), then work on V rows, not B·T.
                    // One-hot: dW_ih += Sᵀ. Embedding: dW_ih += Sᵀ · E and dE += S · W_ih.
                    Array.Clear(_dTable);
                    fixed (float* dT = _dTable)
                    fixed (int* tokens = _inputs)
                    {
                        var job = new ScatterJob { Target = dT, Source = dGates, Tokens = tokens, Rows = n, Width = gw };
                        _team.For(gw, 8, &ScatterColumns, &job);
                        Clock?.Lap(Phase.WeightGradients);
                        // The bias gradients are Σ_v S[v]: V rows to add instead of B·T.
                        ColumnSums(dBih, dBhh, dT, v, gw);
                        Clock?.Lap(Phase.BiasSums);
                        if (_config.OneHot) MatMul.Transpose(new MatrixView(grad + wih.Offset, gw, v, inSize), MatrixView.Dense(dT, v, gw), accumulate: true); // dW_ih += Sᵀ
                        else
                        {
                            float* emb = prm + layout["embedding.weight"].Offset;
                            _activations.Pack(_team, MatrixView.Dense(emb, v, inSize));
                            MatMul.Multiply(_team, MatrixView.Dense(grad + wih.Offset, gw, inSize), MatrixView.Dense(dT, v, gw).Transposed, _activations, accumulate: true);
                            Clock?.Lap(Phase.WeightGradients);
                            _backWeights.Pack(_team, MatrixView.Dense(prm + wih.Offset, gw, inSize));
                            MatMul.Multiply(_team, MatrixView.Dense(grad + layout["embedding.weight"].Offset, v, inSize), MatrixView.Dense(dT, v, gw), _backWeights, accumulate: true);
                            Clock?.Lap(Phase.InputGradients);
                        }
                        Clock?.Lap(Phase.WeightGradients);
                    }
                    continue;
                }
                if (!together)
                {
                    var (inArr, inOff) = LayerInput(l);
                    fixed (float* x = inArr)
                    {
                        _activations.Pack(_team, MatrixView.Dense(x + inOff, n, inSize));
                        Clock?.Lap(Phase.Pack);
                        MatMul.Multiply(_team, MatrixView.Dense(grad + wih.Offset, gw, inSize), MatrixView.Dense(dGates, n, gw).Transposed, _activations, accumulate: true);
                        Clock?.Lap(Phase.WeightGradients);
                    }
                }

                // Gradient for the layer below: dX = dG · W_ih.
                _backWeights.Pack(_team, MatrixView.Dense(prm + wih.Offset, gw, inSize));
                Clock?.Lap(Phase.Pack);
                MatMul.Multiply(_team, MatrixView.Dense(dOut, n, h), MatrixView.Dense(dGates, n, gw), _backWeights, accumulate: false);
                Clock?.Lap(Phase.InputGradients);
            }
        }
    }

    // sums[j] += Σ_r m[r, j] (and sums2 too, when given), rows in ascending order, columns split between members.
    private void ColumnSums(float* sums, float* sums2, float* m, int rows, int cols)
    {
        var job = new SumJob { Sums = sums, Sums2 = sums2, Matrix = m, Rows = rows, Cols = cols };
        _team.For(cols, 8, &SumColumns, &job);
    }

    // =============================================================================================
    // Parallel pieces: each works on a range of rows (or columns) given by the team.
    // =============================================================================================

    private struct GatherJob
    {
        public float* Gates, Bih, Bhh;
        public float[] Table;
        public int[] Tokens;
        public int Width;
    }

    // gates[r] = table[token[r]]: layer 0's input projection.
    private static void GatherRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<GatherJob>(state);
        int w = job.Width;
        for (int r = start; r < end; r++) job.Table.AsSpan(job.Tokens[r] * w, w).CopyTo(new Span<float>(job.Gates + (long)r * w, w));
    }

    // row[r] = b_ih + b_hh (or just b_ih when there is one bias): the start of each product's chain.
    private static void BiasRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<GatherJob>(state);
        int w = job.Width;
        var bih = new ReadOnlySpan<float>(job.Bih, w);
        for (int r = start; r < end; r++)
        {
            var row = new Span<float>(job.Gates + (long)r * w, w);
            if (job.Bhh is null) bih.CopyTo(row);
            else TensorPrimitives.Add(bih, new ReadOnlySpan<float>(job.Bhh, w), row);
        }
    }

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

    private struct LossJob
    {
        public float* Logits, Probs;
        public int* Targets;
        public double* RowLoss;
        public int Vocab;
        public float Scale;
    }

    // probs[r] = softmax(logits[r]); rowLoss[r] = −log probs[r][target] (computed as logsumexp − x[target]).
    private static void LossRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<LossJob>(state);
        int v = job.Vocab;
        for (int r = start; r < end; r++)
        {
            var x = new ReadOnlySpan<float>(job.Logits + (long)r * v, v);
            double logSumExp = SoftmaxCrossEntropy.Softmax(new Span<float>(job.Probs + (long)r * v, v), x);
            job.RowLoss[r] = logSumExp - x[job.Targets[r]];
        }
    }

    // dLogits[r] = (probs[r] − onehot(target)) · scale.  (Logits holds dLogits here.)
    private static void LossBackwardRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<LossJob>(state);
        int v = job.Vocab;
        SoftmaxCrossEntropy.Backward(new Span<float>(job.Logits + (long)start * v, (end - start) * v),
            new ReadOnlySpan<float>(job.Probs + (long)start * v, (end - start) * v),
            new ReadOnlySpan<int>(job.Targets + start, end - start), end - start, v, job.Scale);
    }

    private struct SumJob
    {
        public float* Sums, Sums2, Matrix;
        public int Rows, Cols;
    }

    private static void SumColumns(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<SumJob>(state);
        int width = end - start;
        if (job.Sums2 is null)
        {
            var sums = new Span<float>(job.Sums + start, width);
            for (int r = 0; r < job.Rows; r++) TensorPrimitives.Add(sums, new ReadOnlySpan<float>(job.Matrix + (long)r * job.Cols + start, width), sums);
            return;
        }
        // Two biases with the same gradient: sum the rows once (from 0, in row order), add it to both.
        Span<float> buffer = stackalloc float[512];
        for (int c0 = start; c0 < end; c0 += buffer.Length)
        {
            int w = Math.Min(buffer.Length, end - c0);
            var total = buffer[..w];
            total.Clear();
            for (int r = 0; r < job.Rows; r++) TensorPrimitives.Add(total, new ReadOnlySpan<float>(job.Matrix + (long)r * job.Cols + c0, w), total);
            var s1 = new Span<float>(job.Sums + c0, w);
            TensorPrimitives.Add(s1, total, s1);
            var s2 = new Span<float>(job.Sums2 + c0, w);
            TensorPrimitives.Add(s2, total, s2);
        }
    }

    private struct ScatterJob
    {
        public float* Target, Source;
        public int* Tokens;
        public int Rows, Width;
    }

    // target[token[r], cols] += source[r, cols], rows in ascending order.
    private static void ScatterColumns(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<ScatterJob>(state);
        int width = end - start, w = job.Width;
        for (int r = 0; r < job.Rows; r++)
        {
            var dst = new Span<float>(job.Target + (long)job.Tokens[r] * w + start, width);
            TensorPrimitives.Add(dst, new ReadOnlySpan<float>(job.Source + (long)r * w + start, width), dst);
        }
    }
}
