using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CharLstm.Model.Layers;
using CharLstm.Numerics;

namespace CharLstm.Model;

/// <summary>
/// The network's forward and backward over one batch of B streams × T steps, for training and for
/// scoring: <see cref="Embedding"/> (layer 0's input side), the stacked <see cref="LstmLayer"/>s (each
/// layer above the first fed by the one below through a <see cref="HiddenInput"/>), and
/// <see cref="HeadLoss"/>. Holds every activation the backward needs, allocated once for its
/// (batch, seqLen) and reused for every batch.
/// </summary>
/// <remarks>
/// <para>Activations are time-major: row <c>r = t·B + b</c>. The caller's tokens are batch-first
/// (B, T), one row per stream.</para>
/// <para>With <c>threads</c> &gt; 1 the work is shared by a team: the products by output tiles, the
/// pointwise steps by rows (bias sums by columns). Every output element is computed by one thread in a
/// fixed order, so results are the same bits for any thread count.</para>
/// </remarks>
public sealed unsafe class NetworkPass : IDisposable
{
    private readonly PassContext _ctx;
    private readonly int[] _inputs;       // (N) time-major input tokens, pinned
    private readonly int[] _targets;      // (N) time-major targets, pinned
    private readonly LstmLayer[] _layers; // bottom first
    private readonly HeadLoss _head;
    private bool _haveForward;

    /// <summary>Allocates the buffers for batches of <paramref name="batch"/> streams × <paramref name="seqLen"/> steps.</summary>
    /// <param name="config">The model's shape.</param>
    /// <param name="batch">Streams per batch.</param>
    /// <param name="seqLen">Time steps per batch.</param>
    /// <param name="threads">Compute threads (the caller's included). Results are identical for every count.</param>
    public NetworkPass(ModelConfig config, int batch, int seqLen, int threads = 1)
    {
        config.Validate();
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        if (seqLen < 1) throw new ArgumentOutOfRangeException(nameof(seqLen), seqLen, "sequence length must be at least 1");
        Config = config;
        _ctx = new PassContext(config, batch, seqLen, new ThreadTeam(threads));
        var layout = new ParameterLayout(config);
        _inputs = GC.AllocateArray<int>(_ctx.Rows, pinned: true);
        _targets = GC.AllocateArray<int>(_ctx.Rows, pinned: true);
        _layers = new LstmLayer[config.Layers];
        _layers[0] = new LstmLayer(_ctx, layout, 0, new Embedding(_ctx, layout, Address(_inputs)));
        for (int l = 1; l < config.Layers; l++)
            _layers[l] = new LstmLayer(_ctx, layout, l, new HiddenInput(_ctx, layout.Lstm[l], _layers[l - 1]));
        _head = new HeadLoss(_ctx, layout, Address(_targets));
        InitialHiddenGradient = new float[config.Layers * batch * config.HiddenSize];
        InitialCellGradient = new float[config.Layers * batch * config.HiddenSize];
    }

    /// <summary>The model shape this pass runs.</summary>
    public ModelConfig Config { get; }
    /// <summary>Streams per batch.</summary>
    public int Batch => _ctx.Batch;
    /// <summary>Time steps per batch.</summary>
    public int SeqLen => _ctx.SeqLen;
    /// <summary>Compute threads used (the caller's included).</summary>
    public int Threads => _ctx.Team.Size;
    /// <summary>When set, each phase's wall time is reported to it (the bench verb's profile).</summary>
    public IStepProfiler? Profiler { get => _ctx.Profiler; set => _ctx.Profiler = value; }
    /// <summary>dL/dh₀ after <see cref="Backward"/>, (layers, batch, hidden).</summary>
    public float[] InitialHiddenGradient { get; }
    /// <summary>dL/dc₀ after <see cref="Backward"/>, (layers, batch, hidden).</summary>
    public float[] InitialCellGradient { get; }
    /// <summary>Logits of the last forward pass, time-major (T, B, V).</summary>
    public ReadOnlySpan<float> Logits => _head.Logits;

    /// <summary>Stops the worker threads (a pass with threads &gt; 1 holds them until disposed).</summary>
    public void Dispose() => _ctx.Team.Dispose();

    /// <summary>
    /// Bytes held by the pass's buffers: saved activations, backward scratch and packed weights
    /// (packed buffers count once they have been used).
    /// </summary>
    public long BufferBytes => _ctx.BufferBytes + _head.BufferBytes + 8L * _ctx.Rows + 8L * InitialHiddenGradient.Length
        + _layers.Sum(layer => layer.BufferBytes);

    /// <summary>
    /// The bytes a pass of <paramref name="config"/> over <paramref name="batch"/> × <paramref name="seqLen"/>
    /// holds once it has run forward and backward (what <see cref="BufferBytes"/> then reports), computed
    /// in 64 bits without allocating: the activations every layer keeps, the backward scratch, the packed
    /// weights and the team's scratch.
    /// </summary>
    public static long EstimateBytes(ModelConfig config, int batch, int seqLen, int threads)
    {
        long n = (long)batch * seqLen, h = config.HiddenSize, v = config.VocabSize, gw = 4 * h, layers = config.Layers;
        long e = config.EmbeddingSize, input = config.InputSize;
        static long Panels(long columns) => (columns + PackedMatrix.Width - 1) / PackedMatrix.Width * PackedMatrix.Width;
        long perLayer = n * gw + 2 * (n + batch) * h + n * h + (config.Dropout > 0 ? 2 * n * h : 0) + h * Panels(gw);
        long embedding = 2 * v * gw + (config.OneHot ? 0 : e * Panels(gw));
        long above = (layers - 1) * h * Panels(gw);
        long head = 3 * n * v + 2 * n + h * Panels(v);
        // The shared packed buffers hold the largest matrix each is ever asked to pack: a weight for an
        // input gradient (W_head; W_ih above layer 0; W_ih₀ with an embedding), W_hh for the per-step dh,
        // and an activation for a weight gradient (H_prev and the output; [x | H_prev] side by side above
        // layer 0 when H is a whole number of panels; E with an embedding).
        long weightForDx = Math.Max(v * Panels(h), Math.Max(layers > 1 ? gw * Panels(h) : 0, config.OneHot ? 0 : gw * Panels(input)));
        long activationForDw = Math.Max(n * Panels(h), Math.Max(layers > 1 && h % PackedMatrix.Width == 0 ? n * 2 * h : 0, v * Panels(e)));
        long scratch = n * gw + n * h + 2L * batch * h + weightForDx + gw * Panels(h) + activationForDw + (long)ThreadTeam.ScratchFloats * threads;
        long packed = 2 * layers + 3 + (config.OneHot ? 0 : 1);
        long slack = 16 * packed; // each packed matrix's room for 64-byte alignment
        long floats = layers * perLayer + embedding + above + head + scratch + 2 * layers * batch * h + slack;
        return 4 * floats + 8 * n;
    }

    /// <summary>Runs the batch forward and returns the mean cross-entropy over all B×T positions (nats).</summary>
    /// <param name="model">Parameters (read only).</param>
    /// <param name="inputs">(B, T) input tokens, batch-first.</param>
    /// <param name="targets">(B, T) next-character tokens, batch-first.</param>
    /// <param name="state">In: the initial state; out: the state after the last step (carry it to the next batch).</param>
    /// <param name="training">Apply dropout (with <paramref name="rng"/>); evaluation passes leave it off.</param>
    /// <param name="rng">Draws dropout masks; needed only when training with dropout.</param>
    public float Forward(LstmModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, LstmState state, bool training, Rng? rng = null)
    {
        CheckShapes(model, inputs, targets, state);
        _ctx.Profiler?.Restart();
        int bsz = Batch, seqLen = SeqLen, v = Config.VocabSize;
        for (int b = 0; b < bsz; b++)
            for (int t = 0; t < seqLen; t++)
            {
                int tok = inputs[b * seqLen + t], tgt = targets[b * seqLen + t];
                if ((uint)tok >= (uint)v || (uint)tgt >= (uint)v) throw new ArgumentOutOfRangeException(nameof(inputs), $"token out of range 0..{v - 1} "
                    + $"at stream {b}, step {t}");
                _inputs[t * bsz + b] = tok;
                _targets[t * bsz + b] = tgt;
            }
        bool dropout = training && Config.Dropout > 0;
        if (dropout && rng is null) throw new ArgumentNullException(nameof(rng), "dropout needs a random generator while training");

        float loss;
        fixed (float* parameters = model.Parameters)
        {
            foreach (var layer in _layers) layer.Forward(parameters, state, dropout ? rng : null);
            loss = _head.Forward(parameters, _layers[^1].Output);
        }
        _haveForward = true;
        return loss;
    }

    /// <summary>
    /// Backpropagates the last <see cref="Forward"/> through time and ADDS every parameter's gradient
    /// into <paramref name="gradients"/> (same layout as the parameters; clear it first for a fresh
    /// step). Also fills <see cref="InitialHiddenGradient"/> and <see cref="InitialCellGradient"/>.
    /// </summary>
    public void Backward(LstmModel model, float[] gradients)
    {
        if (!_haveForward) throw new InvalidOperationException("Backward needs a Forward first.");
        if (gradients.Length != model.Parameters.Length)
            throw new ArgumentException("The gradient buffer must mirror the parameter buffer.", nameof(gradients));
        _ctx.Profiler?.Restart();
        fixed (float* parameters = model.Parameters, grad = gradients)
        {
            _head.Backward(parameters, grad, _layers[^1].Output);
            for (int l = _layers.Length - 1; l >= 0; l--) _layers[l].Backward(parameters, grad, InitialHiddenGradient, InitialCellGradient);
        }
    }

    private void CheckShapes(LstmModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, LstmState state)
    {
        if (model.Config != Config) throw new ArgumentException("The model's configuration differs from the pass's.", nameof(model));
        if (inputs.Length != _ctx.Rows || targets.Length != _ctx.Rows) throw new ArgumentException($"inputs and targets must hold {Batch}×{SeqLen} tokens.");
        if (state.Layers != Config.Layers || state.Batch != Batch || state.Hidden != Config.HiddenSize)
            throw new ArgumentException("The state's shape differs from the pass's.", nameof(state));
    }

    private static int* Address(int[] pinned) => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
}
