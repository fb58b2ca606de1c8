using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CharLstm.Benchmarking;
using CharLstm.Numerics;
using CharLstm.Ops;
using CharLstm.Sampling;

// The step's job struct lives on the caller's stack and is passed by pointer; it holds object
// references, which is safe here: the caller's frame keeps them alive and waits for every member.
#pragma warning disable CS8500

namespace CharLstm.Model;

/// <summary>
/// A read-only snapshot of a model laid out for generation: each layer's weights packed once for
/// the matrix kernels, layer 0's input projection folded into a per-character table
/// (<c>table[v] = (b_ih0 + b_hh0) + x(v) · W_ih0ᵀ</c>), and for upper layers W_ih and W_hh stacked so
/// <c>[h_below ; h_own] · [W_ih ; W_hh]ᵀ</c> is one product. Safe to share between any number of
/// <see cref="InferenceSession"/>s on any threads.
/// </summary>
/// <remarks>
/// Gate columns are regrouped by 16 units: group q holds [i | f | g | o] of units 16q..16q+15, each a
/// 16-column panel. A thread that owns a group then has everything the cell update of those units
/// needs, so a layer is one product-and-cell pass per thread with one barrier after it. Each
/// element's sum runs in the same order as the training forward, so logits match it bit for bit.
/// </remarks>
public sealed unsafe class InferenceModel
{
    /// <summary>Units per gate group (one packed panel per gate).</summary>
    internal const int GroupUnits = PackedMatrix.Width;

    internal readonly float[] InputTable;        // (V, 64·G) layer 0 input projection with both biases, grouped columns
    internal readonly PackedMatrix[] Weights;    // layer 0: W_hhᵀ (H, 64·G); layer l ≥ 1: [W_ihᵀ ; W_hhᵀ] (2H, 64·G)
    internal readonly float[][] Bias;            // per layer (64·G): b_ih + b_hh, grouped ([0] folded into InputTable)
    internal readonly PackedMatrix Head;         // W_headᵀ (H, V)
    internal readonly float[] HeadBias;          // (V)

    /// <summary>Snapshots <paramref name="model"/>; later changes to the model do not affect this copy.</summary>
    public InferenceModel(LstmModel model)
    {
        Config = model.Config;
        int v = Config.VocabSize, h = Config.HiddenSize, gw = 4 * h, layers = Config.Layers;
        Groups = (h + GroupUnits - 1) / GroupUnits;
        int width = 4 * GroupUnits * Groups;
        Weights = new PackedMatrix[layers];
        Bias = new float[layers][];
        var team = MatMul.CallerTeam;
        fixed (float* p = model.Parameters)
        {
            for (int l = 0; l < layers; l++)
            {
                float* wih = p + model.Layout[$"lstm.weight_ih_l{l}"].Offset;
                float* whh = p + model.Layout[$"lstm.weight_hh_l{l}"].Offset;
                var bias = new float[gw];
                TensorPrimitives.Add(model.View($"lstm.bias_ih_l{l}"), model.View($"lstm.bias_hh_l{l}"), bias);
                Bias[l] = Regroup(bias, 1, h);
                var packed = Weights[l] = new PackedMatrix();
                int below = l == 0 ? 0 : h; // rows of W_ihᵀ stacked above W_hhᵀ
                packed.Reshape(below + h, width);
                for (int column = 0; column < width; column++)
                {
                    float* dst = packed.Column(column);
                    int source = SourceRow(column, h);
                    for (int q = 0; q < below + h; q++)
                        dst[(long)q * PackedMatrix.Width] = source < 0 ? 0f : q < below ? wih[(long)source * below + q] : whh[(long)source * h + (q - below)];
                }
            }

            // Table: the chain starts from the bias sum, as in the training forward.
            var table = new float[v * gw];
            for (int r = 0; r < v; r++) TensorPrimitives.Add(model.View("lstm.bias_ih_l0"), model.View("lstm.bias_hh_l0"), table.AsSpan(r * gw, gw));
            float* wih0 = p + model.Layout["lstm.weight_ih_l0"].Offset;
            if (Config.OneHot)
            {
                // One-hot row v of X·W_ihᵀ is column v of W_ih.
                for (int r = 0; r < v; r++)
                    for (int j = 0; j < gw; j++) table[r * gw + j] += wih0[(long)j * v + r];
            }
            else
            {
                var w = new PackedMatrix();
                w.Pack(team, MatrixView.Dense(wih0, gw, Config.EmbeddingSize).Transposed);
                fixed (float* t = table) MatMul.Multiply(team, MatrixView.Dense(t, v, gw), MatrixView.Dense(p + model.Layout["embedding.weight"].Offset, v, Config.EmbeddingSize), w, accumulate: true);
            }
            InputTable = Regroup(table, v, h);
            Head = new PackedMatrix();
            Head.Pack(team, MatrixView.Dense(p + model.Layout["head.weight"].Offset, v, h).Transposed);
            HeadBias = model.View("head.bias").ToArray();
        }
    }

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Gate groups: ⌈H / 16⌉.</summary>
    internal int Groups { get; }

    // Grouped column → PyTorch gate row (gate·H + unit), or −1 for padding past H.
    internal static int SourceRow(int column, int hidden)
    {
        int group = column / (4 * GroupUnits), gate = column / GroupUnits % 4, unit = group * GroupUnits + column % GroupUnits;
        return unit < hidden ? gate * hidden + unit : -1;
    }

    // (rows, 4H) in PyTorch gate order → (rows, 64·G) grouped, padding zero.
    private static float[] Regroup(float[] source, int rows, int hidden)
    {
        int groups = (hidden + GroupUnits - 1) / GroupUnits, width = 4 * GroupUnits * groups;
        var grouped = new float[rows * width];
        for (int r = 0; r < rows; r++)
            for (int column = 0; column < width; column++)
            {
                int s = SourceRow(column, hidden);
                if (s >= 0) grouped[r * width + column] = source[r * 4 * hidden + s];
            }
        return grouped;
    }
}

/// <summary>
/// One generation stream set: its own state and buffers over a shared <see cref="InferenceModel"/>.
/// Allocates nothing per step. Not thread-safe; use one session per request.
/// </summary>
/// <remarks>
/// With <c>threads</c> &gt; 1 a step is one run of the session's thread team: the members share out
/// each layer's gate groups (one stream: a fixed range each; several streams: group by group, the
/// group's product then the cell update of its units, each member starting on its own range and then
/// taking groups the others have not reached), members meet at a barrier between layers, and the
/// head's columns are split by range. Each group is computed whole by one member with the same
/// arithmetic, so results are the same bits for any thread count and any timing.
/// </remarks>
public sealed unsafe class InferenceSession : IDisposable
{
    private readonly InferenceModel _model;
    private readonly ThreadTeam _team;
    private readonly float[] _gates;    // (G, B, 64) grouped gate pre-activations, then activations: a chunk of groups holds its streams' rows together
    private readonly float[][] _inputs; // per layer l ≥ 1: (B, 2H) = [h_{l−1} new ; h_l before]; layer 0 reads h₀ in State.H
    private readonly float[] _top;      // (B, H) new h of the last layer
    private readonly float[] _logits;   // (B, V)
    private readonly float[] _scratch;  // (threads, 16) tanh(c) of one gate group, per member
    private readonly int[] _tokens;     // (B)
    private readonly int[] _next;       // (B) characters drawn by StepAndSample
    private readonly Sampler[] _samplers; // per member: sampling scratch
    private readonly WorkShares? _groupShares; // per layer: gate groups, claimed; null when split by range (one stream or one thread)

    /// <summary>A session of <paramref name="batch"/> streams from the zero state.</summary>
    /// <param name="model">The shared model.</param>
    /// <param name="batch">Streams generated at once.</param>
    /// <param name="threads">Compute threads (the caller's included). Results are identical for every count.</param>
    public InferenceSession(InferenceModel model, int batch = 1, int threads = 1)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
        if (threads < 1 || threads > 256) throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be 1 to 256");
        _model = model;
        Batch = batch;
        var cfg = model.Config;
        int h = cfg.HiddenSize;
        _team = new ThreadTeam(threads);
        State = new LstmState(cfg, batch);
        _gates = GC.AllocateArray<float>(batch * 4 * InferenceModel.GroupUnits * model.Groups, pinned: true);
        _inputs = new float[cfg.Layers][];
        _inputs[0] = [];
        for (int l = 1; l < cfg.Layers; l++) _inputs[l] = GC.AllocateArray<float>(batch * 2 * h, pinned: true);
        _top = GC.AllocateArray<float>(batch * h, pinned: true);
        _logits = GC.AllocateArray<float>(batch * cfg.VocabSize, pinned: true);
        _scratch = GC.AllocateArray<float>(threads * InferenceModel.GroupUnits, pinned: true);
        _tokens = GC.AllocateArray<int>(batch, pinned: true);
        _next = new int[batch];
        _groupShares = batch > 1 && threads > 1 ? new WorkShares(threads, cfg.Layers) : null;
        _samplers = new Sampler[threads];
        for (int i = 0; i < threads; i++) _samplers[i] = new Sampler(cfg.VocabSize);
    }

    /// <summary>
    /// Multiply-adds per step below which a session is best run on one thread: the team's barriers
    /// (one per layer and one before sampling) then cost more than splitting the products saves.
    /// 256 K is about 1 MB of weights, one core's L2 on the machines measured. At batch 1, 2 threads
    /// against 1 (session 12, Zen 5): T1 (205 K per step) 0.79×; T2 (803 K) 1.7×; T3 1.6×; T1 at
    /// batch 4 (820 K) 1.8×.
    /// </summary>
    public const long SmallStepMultiplyAdds = 256 * 1024;

    /// <summary>
    /// The compute threads worth using for <paramref name="batch"/> streams of <paramref name="model"/>,
    /// at most <paramref name="threads"/>: one when a step is smaller than
    /// <see cref="SmallStepMultiplyAdds"/>. Results are the same bits for any count.
    /// </summary>
    public static int UsefulThreads(InferenceModel model, int batch, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        var c = model.Config;
        long h = c.HiddenSize, perStream = h * 4 * h + (c.Layers - 1) * 2 * h * 4 * h + h * c.VocabSize; // layer 0's input is a table row
        return (long)batch * perStream < SmallStepMultiplyAdds ? 1 : threads;
    }

    /// <summary>Streams in this session.</summary>
    public int Batch { get; }

    /// <summary>Stops the worker threads (a session with threads &gt; 1 holds them until disposed).</summary>
    public void Dispose() => _team.Dispose();

    /// <summary>Compute threads used (the caller's included).</summary>
    public int Threads => _team.Size;

    /// <summary>Hidden and cell state carried between steps.</summary>
    public LstmState State { get; }

    /// <summary>The shared model.</summary>
    public InferenceModel Model => _model;

    /// <summary>When set, member 0 (the calling thread) charges its time per phase to this clock (the bench verb's profile).</summary>
    internal PhaseClock? Clock { get; set; }

    /// <summary>The session's thread team (tests run probes on its members).</summary>
    internal ThreadTeam Team => _team;

    /// <summary>
    /// Feeds one character per stream and returns the logits (B, V) for the next one. The returned
    /// span is the session's buffer, valid until the next call.
    /// </summary>
    public Span<float> Step(ReadOnlySpan<int> tokens)
    {
        Run(tokens, null, null);
        return _logits;
    }

    /// <summary>
    /// Feeds one character per stream and draws each stream's next character with its own generator
    /// (<paramref name="rngs"/>[b] for stream b), the draws shared out between the team's threads
    /// after the head. Returns the drawn characters (the session's buffer, valid until the next
    /// call); <see cref="LastLogits"/> holds the logits they were drawn from. Each stream depends only
    /// on its own logits and generator, so the characters are the same for every thread count, and
    /// the same as <see cref="Step"/> followed by <see cref="Sampler.Sample"/> stream by stream.
    /// </summary>
    public ReadOnlySpan<int> StepAndSample(ReadOnlySpan<int> tokens, SamplingOptions options, Rng[] rngs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rngs);
        if (rngs.Length != Batch) throw new ArgumentException($"expected {Batch} generators, one per stream", nameof(rngs));
        options.Validate();
        Run(tokens, options, rngs);
        return _next;
    }

    private void Run(ReadOnlySpan<int> tokens, SamplingOptions? options, Rng[]? rngs)
    {
        var cfg = _model.Config;
        int bsz = Batch, h = cfg.HiddenSize, v = cfg.VocabSize, layers = cfg.Layers;
        if (tokens.Length != bsz) throw new ArgumentException($"expected {bsz} tokens, one per stream", nameof(tokens));
        for (int b = 0; b < bsz; b++)
        {
            if ((uint)tokens[b] >= (uint)v) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[b]} outside 0..{v - 1}");
            _tokens[b] = tokens[b];
        }
        // The members move the state in and out of the layers' inputs themselves (see StepPart).
        fixed (float* c = State.C, hState = State.H)
        {
            if (_groupShares is not null)
                for (int l = 0; l < layers; l++) _groupShares.Reset(l, _model.Groups);
            var job = new StepJob { Session = this, Cell = c, Hidden = hState, Options = options, Rngs = rngs };
            _team.Run(&StepMember, &job);
        }
    }

    /// <summary>Logits (B, V) of the last <see cref="Step"/>.</summary>
    public ReadOnlySpan<float> LastLogits => _logits;

    /// <summary>Back to the zero state.</summary>
    public void Reset() => State.Reset();

    private struct StepJob
    {
        public InferenceSession Session;
        public float* Cell;
        public float* Hidden;              // State.H
        public SamplingOptions? Options;   // set: also draw each stream's next character
        public Rng[]? Rngs;
    }

    private static void StepMember(void* state, int member, int members)
    {
        ref var job = ref Unsafe.AsRef<StepJob>(state);
        var session = job.Session;
        var clock = member == 0 ? session.Clock : null;
        clock?.Lap(Phase.Other);
        session.StepPart(job.Cell, job.Hidden, member, members, clock);
        if (job.Options is null) return;
        // Every row of logits is complete only when all members have done their head columns.
        session._team.Barrier();
        clock?.Lap(Phase.Wait);
        int v = session._model.Config.VocabSize;
        var (b0, b1) = ThreadTeam.Range(session.Batch, members, member);
        var sampler = session._samplers[member];
        for (int b = b0; b < b1; b++) session._next[b] = sampler.Sample(session._logits.AsSpan(b * v, v), job.Options, job.Rngs![b]);
        clock?.Lap(Phase.Sampling);
    }

    // One member's share of a step: its gate groups in every layer, then its head columns. The state
    // moves in parallel, no copy on the calling thread alone: layer 0 multiplies h₀ where it lies in
    // State.H; each member puts its streams' h_l (l ≥ 1) beside that layer's input before the first
    // barrier (nobody reads them sooner), and after each layer's barrier (until then the others may
    // still be reading h₀) writes its own units of the new h_l back to State.H.
    private void StepPart(float* cellState, float* hState, int member, int members, PhaseClock? clock)
    {
        var model = _model;
        var cfg = model.Config;
        int bsz = Batch, h = cfg.HiddenSize, v = cfg.VocabSize, layers = cfg.Layers;
        const int Unit = InferenceModel.GroupUnits;
        int width = 4 * Unit * model.Groups;
        var (g0, g1) = ThreadTeam.Range(model.Groups, members, member);
        float* scratch = _team.Scratch(member);
        fixed (float* gates = _gates, table = model.InputTable, top = _top, logits = _logits, tanhC = _scratch)
        {
            var (s0, s1) = ThreadTeam.Range(bsz, members, member);
            for (int l = 1; l < layers; l++)
                for (int b = s0; b < s1; b++)
                    Buffer.MemoryCopy(hState + ((long)l * bsz + b) * h, Pinned(_inputs[l]) + (long)b * 2 * h + h, h * sizeof(float), h * sizeof(float));
            for (int l = 0; l < layers; l++)
            {
                var weights = model.Weights[l];
                float* x = l == 0 ? hState : Pinned(_inputs[l]);
                // The new h goes to the next layer's input (the last layer's to the head's).
                float* next = l == layers - 1 ? top : Pinned(_inputs[l + 1]);
                int nextStride = l == layers - 1 ? h : 2 * h;
                // Several streams: one gate group at a time, its 64 columns of the product for every
                // stream, then its cell update while those gates are still in L1. (All the member's
                // groups' products first, then all their cells, read the gates back from L2 or
                // beyond.) One stream: all the member's groups at once; its gates stay in L1 anyway,
                // and one call keeps four panels per pass. Same arithmetic either way, same bits.
                // Several streams on several members: groups are claimed one at a time, own share
                // first (WorkShares), so a member on a slower core hands its last groups to the other
                // instead of keeping it waiting at the barrier. (Against a fixed split, in-process
                // alternating runs, 32 streams, 2 threads: T3 4-7% faster, T2 0-4%, T1 3%.)
                var shares = _groupShares;
                bool claimed = shares is not null;
                int chunk = bsz == 1 ? Math.Max(1, g1 - g0) : 1, share = member;
                int ga = claimed ? shares!.Claim(l, ref share) : g0;
                while (claimed ? ga >= 0 : ga < g1)
                {
                    int gb = claimed ? ga + 1 : Math.Min(g1, ga + chunk);
                    int q0 = ga * 4 * Unit, q1 = gb * 4 * Unit, ldg = q1 - q0;
                    // This chunk's gates for every stream, contiguous: rows of ldg floats. (In rows of all
                    // 4H columns the streams' chunks lie a power of two apart and share a few L1 sets;
                    // contiguous, 32 streams ran 1-3% faster, in-process alternating runs.)
                    float* chunkGates = gates + (long)q0 * bsz;
                    // Start each chain from the bias (layer 0: from the token's table row, biases included).
                    for (int b = 0; b < bsz; b++)
                    {
                        float* src = l == 0 ? table + (long)_tokens[b] * width + q0 : null;
                        var dst = new Span<float>(chunkGates + (long)b * ldg, ldg);
                        if (src is not null) new ReadOnlySpan<float>(src, ldg).CopyTo(dst);
                        else model.Bias[l].AsSpan(q0, ldg).CopyTo(dst);
                    }
                    if (bsz == 1) MatMul.MultiplyVector(chunkGates - q0, x, weights, q0, q1, accumulate: true);
                    else MatMul.MultiplyColumns(scratch, new MatrixView(chunkGates - q0, bsz, weights.N, ldg), MatrixView.Dense(x, bsz, weights.K), weights, q0, q1, accumulate: true);
                    clock?.Lap(Phase.LayerProducts);
                    for (int b = 0; b < bsz; b++)
                        for (int g = ga; g < gb; g++)
                        {
                            int u0 = g * Unit, units = Math.Min(Unit, h - u0);
                            CellGroup(chunkGates + (long)b * ldg + (g - ga) * 4 * Unit, cellState + ((long)l * bsz + b) * h + u0, next + (long)b * nextStride + u0, tanhC + member * Unit, units);
                        }
                    clock?.Lap(Phase.CellForward);
                    ga = claimed ? shares!.Claim(l, ref share) : gb;
                }
                _team.Barrier();
                clock?.Lap(Phase.Wait);
                // Everyone is past this layer's products: its h takes the new values (this member's
                // share of the units, whoever computed them).
                int h0 = g0 * Unit, h1 = Math.Min(h, g1 * Unit);
                for (int b = 0; b < bsz && h0 < h1; b++)
                    Buffer.MemoryCopy(next + (long)b * nextStride + h0, hState + ((long)l * bsz + b) * h + h0, (h1 - h0) * sizeof(float), (h1 - h0) * sizeof(float));
                clock?.Lap(Phase.Other);
            }

            // Head: logits = b + h_top · W_headᵀ, columns split by panel.
            var head = model.Head;
            var (p0, p1) = ThreadTeam.Range(head.Panels, members, member);
            int c0 = p0 * PackedMatrix.Width, c1 = Math.Min(v, p1 * PackedMatrix.Width);
            if (c0 < c1)
            {
                for (int b = 0; b < bsz; b++) model.HeadBias.AsSpan(c0, c1 - c0).CopyTo(new Span<float>(logits + (long)b * v + c0, c1 - c0));
                if (bsz == 1) MatMul.MultiplyVector(logits, top, head, c0, c1, accumulate: true);
                else MatMul.MultiplyColumns(scratch, MatrixView.Dense(logits, bsz, v), MatrixView.Dense(top, bsz, h), head, c0, c1, accumulate: true);
            }
            clock?.Lap(Phase.Head);
        }
    }

    // The session's buffers are allocated pinned, so their addresses never change.
    private static float* Pinned(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

    // One group of units for one stream, through the training forward's own cell code.
    private static void CellGroup(float* gates, float* c, float* hOut, float* tanhC, int units)
    {
        const int Unit = InferenceModel.GroupUnits;
        if (units == Unit && LstmCell.ForwardGroup16(gates, c, hOut, tanhC)) return;
        var cs = new Span<float>(c, units);
        LstmCell.ForwardUnits(new Span<float>(gates, units), new Span<float>(gates + Unit, units), new Span<float>(gates + 2 * Unit, units),
            new Span<float>(gates + 3 * Unit, units), cs, cs, new Span<float>(tanhC, units), new Span<float>(hOut, units));
    }
}
