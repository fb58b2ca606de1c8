using System.Numerics.Tensors;
using CharLstm.Numerics;
using CharLstm.Ops;

namespace CharLstm.Model;

/// <summary>
/// A read-only snapshot of a model laid out for generation: weights transposed for row-vector
/// products, and layer 0's input projection folded into a per-character table
/// (<c>table[v] = x(v) · W_ih0ᵀ + b_ih0 + b_hh0</c>), so the first layer costs one row lookup per
/// character. Safe to share between any number of <see cref="InferenceSession"/>s on any threads.
/// </summary>
public sealed unsafe class InferenceModel
{
    internal readonly float[] InputTable;   // (V, 4H) layer 0 input projection with both biases
    internal readonly float[][] WeightIhT;  // per layer ≥ 1 (H, 4H); [0] unused
    internal readonly float[][] WeightHhT;  // per layer (H, 4H)
    internal readonly float[][] Bias;       // per layer (4H): b_ih + b_hh ([0] folded into InputTable)
    internal readonly float[] HeadT;        // (H, V)
    internal readonly float[] HeadBias;     // (V)

    /// <summary>Snapshots <paramref name="model"/>; later changes to the model do not affect this copy.</summary>
    public InferenceModel(LstmModel model)
    {
        Config = model.Config;
        int v = Config.VocabSize, h = Config.HiddenSize, gw = 4 * h, layers = Config.Layers;
        WeightIhT = new float[layers][];
        WeightHhT = new float[layers][];
        Bias = new float[layers][];
        fixed (float* p = model.Parameters)
        {
            for (int l = 0; l < layers; l++)
            {
                int inSize = Config.LayerInputSize(l);
                Bias[l] = new float[gw];
                TensorPrimitives.Add(model.View($"lstm.bias_ih_l{l}"), model.View($"lstm.bias_hh_l{l}"), Bias[l]);
                WeightIhT[l] = new float[inSize * gw];
                fixed (float* dst = WeightIhT[l]) MatMul.Transpose(dst, gw, p + model.Layout[$"lstm.weight_ih_l{l}"].Offset, inSize, gw, inSize);
                WeightHhT[l] = new float[h * gw];
                fixed (float* dst = WeightHhT[l]) MatMul.Transpose(dst, gw, p + model.Layout[$"lstm.weight_hh_l{l}"].Offset, h, gw, h);
            }
            InputTable = new float[v * gw];
            fixed (float* table = InputTable, wihT = WeightIhT[0])
            {
                if (Config.OneHot) WeightIhT[0].AsSpan().CopyTo(InputTable); // one-hot row v of X·W_ihᵀ is row v of W_ihᵀ
                else MatMul.Multiply(table, gw, p + model.Layout["embedding.weight"].Offset, Config.EmbeddingSize, wihT, gw, v, gw, Config.EmbeddingSize, accumulate: false);
            }
            for (int r = 0; r < v; r++) TensorPrimitives.Add(InputTable.AsSpan(r * gw, gw), Bias[0], InputTable.AsSpan(r * gw, gw));
            WeightIhT[0] = [];
            HeadT = new float[h * v];
            fixed (float* dst = HeadT) MatMul.Transpose(dst, v, p + model.Layout["head.weight"].Offset, h, v, h);
            HeadBias = model.View("head.bias").ToArray();
        }
    }

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }
}

/// <summary>
/// One generation stream set: its own state and buffers over a shared <see cref="InferenceModel"/>.
/// Allocates nothing per step. Not thread-safe; use one session per request.
/// </summary>
public sealed unsafe class InferenceSession
{
    private readonly InferenceModel _model;
    private readonly float[] _gates;  // (B, 4H)
    private readonly float[] _cNew;   // (B, H)
    private readonly float[] _tanhC;  // (B, H)
    private readonly float[] _hNew;   // (B, H)
    private readonly float[] _logits; // (B, V)

    /// <summary>A session of <paramref name="batch"/> streams from the zero state.</summary>
    /// <param name="model">The shared model.</param>
    /// <param name="batch">Streams generated at once.</param>
    /// <param name="threads">Compute threads (not used yet: the engine runs on one).</param>
    public InferenceSession(InferenceModel model, int batch = 1, int threads = 1)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be at least 1");
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        _model = model;
        Batch = batch;
        var cfg = model.Config;
        int h = cfg.HiddenSize;
        State = new LstmState(cfg, batch);
        _gates = new float[batch * 4 * h];
        _cNew = new float[batch * h];
        _tanhC = new float[batch * h];
        _hNew = new float[batch * h];
        _logits = new float[batch * cfg.VocabSize];
    }

    /// <summary>Streams in this session.</summary>
    public int Batch { get; }

    /// <summary>Compute threads actually used.</summary>
    public int Threads => 1;

    /// <summary>Hidden and cell state carried between steps.</summary>
    public LstmState State { get; }

    /// <summary>The shared model.</summary>
    public InferenceModel Model => _model;

    /// <summary>
    /// Feeds one character per stream and returns the logits (B, V) for the next one. The returned
    /// span is the session's buffer, valid until the next call.
    /// </summary>
    public Span<float> Step(ReadOnlySpan<int> tokens)
    {
        var cfg = _model.Config;
        int bsz = Batch, h = cfg.HiddenSize, gw = 4 * h, v = cfg.VocabSize;
        if (tokens.Length != bsz) throw new ArgumentException($"expected {bsz} tokens, one per stream", nameof(tokens));
        for (int b = 0; b < bsz; b++)
        {
            if ((uint)tokens[b] >= (uint)v) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[b]} outside 0..{v - 1}");
            _model.InputTable.AsSpan(tokens[b] * gw, gw).CopyTo(_gates.AsSpan(b * gw, gw));
        }
        fixed (float* gates = _gates, hNew = _hNew, hState = State.H, logits = _logits)
        {
            for (int l = 0; l < cfg.Layers; l++)
            {
                float* hPrev = hState + (long)l * bsz * h;
                if (l > 0)
                {
                    // Input is the layer below's new h (already written back into the state).
                    for (int b = 0; b < bsz; b++) _model.Bias[l].AsSpan().CopyTo(_gates.AsSpan(b * gw, gw));
                    fixed (float* wihT = _model.WeightIhT[l]) MatMul.Multiply(gates, gw, hState + (long)(l - 1) * bsz * h, h, wihT, gw, bsz, gw, h, accumulate: true);
                }
                fixed (float* whhT = _model.WeightHhT[l]) MatMul.Multiply(gates, gw, hPrev, h, whhT, gw, bsz, gw, h, accumulate: true);
                var cState = State.C.AsSpan(l * bsz * h, bsz * h);
                LstmCell.Forward(_cNew, _tanhC, _hNew, _gates, cState, bsz, h);
                _cNew.CopyTo(cState);
                _hNew.CopyTo(State.H.AsSpan(l * bsz * h, bsz * h));
            }
            for (int b = 0; b < bsz; b++) _model.HeadBias.AsSpan().CopyTo(_logits.AsSpan(b * v, v));
            fixed (float* headT = _model.HeadT)
                MatMul.Multiply(logits, v, hState + (long)(cfg.Layers - 1) * bsz * h, h, headT, v, bsz, v, h, accumulate: true);
        }
        return _logits;
    }

    /// <summary>Back to the zero state.</summary>
    public void Reset() => State.Reset();
}
