using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CharLstm.Numerics;
using CharLstm.Ops;

// The step's job struct lives on the caller's stack and is passed by pointer; it holds object
// references, which is safe here: the caller's frame keeps them alive and waits for every member.
#pragma warning disable CS8500

namespace CharLstm.Model;

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
    private readonly WorkShares? _groupShares; // per layer: gate groups, claimed; null when split by range (one stream or one thread)

    /// <summary>A session of <paramref name="batch"/> streams from the zero state.</summary>
    /// <param name="model">The shared model.</param>
    /// <param name="batch">Streams generated at once.</param>
    /// <param name="threads">Compute threads (the caller's included). Results are identical for every count.</param>
    public InferenceSession(InferenceModel model, int batch = 1, int threads = 1)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be at least 1");
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
        _groupShares = batch > 1 && threads > 1 ? new WorkShares(threads, cfg.Layers) : null;
    }

    /// <summary>
    /// Multiply-adds per step below which a session is best run on one thread: the team's barriers
    /// (one per layer and one before sampling) then cost more than splitting the products saves.
    /// 256 K is about 1 MB of weights, one core's L2 (docs/engine.md has the measurements).
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

    /// <summary>Bytes the session holds: its state, its buffers and its team's scratch.</summary>
    public long BufferBytes => 4 * (State.H.LongLength + State.C.LongLength + _gates.LongLength + _inputs.Sum(i => i.LongLength) + _top.LongLength
        + _logits.LongLength + _scratch.LongLength + _tokens.LongLength + (long)ThreadTeam.ScratchFloats * Threads);

    /// <summary>The bytes a session of <paramref name="batch"/> streams on <paramref name="threads"/> holds (<see cref="BufferBytes"/>).</summary>
    public static long EstimateBytes(ModelConfig config, int batch, int threads)
    {
        long h = config.HiddenSize, v = config.VocabSize, layers = config.Layers, b = batch;
        long width = 4L * InferenceModel.GroupUnits * ((h + InferenceModel.GroupUnits - 1) / InferenceModel.GroupUnits);
        long floats = 2 * layers * b * h + b * width + (layers - 1) * b * 2 * h + b * h + b * v + threads * (long)InferenceModel.GroupUnits + b
            + (long)ThreadTeam.ScratchFloats * threads;
        return 4 * floats;
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

    /// <summary>When set, member 0 (the calling thread) reports its time per phase to it (the bench verb's profile).</summary>
    public IStepProfiler? Profiler { get; set; }

    /// <summary>The session's thread team (tests run probes on its members).</summary>
    internal ThreadTeam Team => _team;

    /// <summary>
    /// Feeds one character per stream and returns the logits (B, V) for the next one. The returned
    /// span is the session's buffer, valid until the next call.
    /// </summary>
    public Span<float> Step(ReadOnlySpan<int> tokens)
    {
        Run(tokens, null);
        return _logits;
    }

    /// <summary>
    /// Feeds one character per stream, then hands each member of the thread team its share of the
    /// streams' logits (<see cref="ThreadTeam"/>'s contiguous ranges) through <paramref name="afterHead"/>,
    /// inside the same team run: work per stream (drawing the next character) is shared out without
    /// another wake-up of the team. <see cref="LastLogits"/> holds the logits afterwards.
    /// </summary>
    public void Step(ReadOnlySpan<int> tokens, IStreamWork afterHead)
    {
        ArgumentNullException.ThrowIfNull(afterHead);
        Run(tokens, afterHead);
    }

    private void Run(ReadOnlySpan<int> tokens, IStreamWork? afterHead)
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
            var job = new StepJob { Session = this, Cell = c, Hidden = hState, AfterHead = afterHead };
            _team.Run(&StepMember, &job);
        }
    }

    /// <summary>Logits (B, V) of the last step.</summary>
    public ReadOnlySpan<float> LastLogits => _logits;

    /// <summary>Back to the zero state.</summary>
    public void Reset() => State.Reset();

    private struct StepJob
    {
        public InferenceSession Session;
        public float* Cell;
        public float* Hidden;              // State.H
        public IStreamWork? AfterHead;     // set: run on each member's streams once the logits are complete
    }

    private static void StepMember(void* state, int member, int members)
    {
        ref var job = ref Unsafe.AsRef<StepJob>(state);
        var session = job.Session;
        var profiler = member == 0 ? session.Profiler : null;
        profiler?.Lap(StepPhase.Other);
        session.StepPart(job.Cell, job.Hidden, member, members, profiler);
        if (job.AfterHead is null) return;
        // Every row of logits is complete only when all members have done their head columns.
        session._team.Barrier();
        profiler?.Lap(StepPhase.Wait);
        var (b0, b1) = ThreadTeam.Range(session.Batch, members, member);
        if (b0 < b1) job.AfterHead.Run(member, b0, b1, session._logits);
        profiler?.Lap(StepPhase.Sampling);
    }

    // One member's share of a step: its gate groups in every layer, then its head columns. The state
    // moves in parallel, no copy on the calling thread alone: layer 0 multiplies h₀ where it lies in
    // State.H; each member puts its streams' h_l (l ≥ 1) beside that layer's input before the first
    // barrier (nobody reads them sooner), and after each layer's barrier (until then the others may
    // still be reading h₀) writes its own units of the new h_l back to State.H.
    private void StepPart(float* cellState, float* hState, int member, int members, IStepProfiler? profiler)
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
                // instead of keeping it waiting at the barrier.
                var shares = _groupShares;
                bool claimed = shares is not null;
                int chunk = bsz == 1 ? Math.Max(1, g1 - g0) : 1, share = member;
                int group = claimed ? shares!.Claim(l, ref share) : g0;
                while (claimed ? group >= 0 : group < g1)
                {
                    int groupEnd = claimed ? group + 1 : Math.Min(g1, group + chunk);
                    int column0 = group * 4 * Unit, column1 = groupEnd * 4 * Unit, chunkWidth = column1 - column0;
                    // This chunk's gates for every stream, contiguous: rows of chunkWidth floats. (In rows of all
                    // 4H columns the streams' chunks would lie a power of two apart and share a few L1 sets.)
                    float* chunkGates = gates + (long)column0 * bsz;
                    // Start each chain from the bias (layer 0: from the token's table row, biases included).
                    for (int b = 0; b < bsz; b++)
                    {
                        float* src = l == 0 ? table + (long)_tokens[b] * width + column0 : null;
                        var dst = new Span<float>(chunkGates + (long)b * chunkWidth, chunkWidth);
                        if (src is not null) new ReadOnlySpan<float>(src, chunkWidth).CopyTo(dst);
                        else model.Bias[l].AsSpan(column0, chunkWidth).CopyTo(dst);
                    }
                    if (bsz == 1) MatMul.MultiplyVector(chunkGates - column0, x, weights, column0, column1, accumulate: true);
                    else MatMul.MultiplyColumns(scratch, new MatrixView(chunkGates - column0, bsz, weights.N, chunkWidth), MatrixView.Dense(x, bsz, weights.K),
                        weights, column0, column1, accumulate: true);
                    profiler?.Lap(StepPhase.LayerProducts);
                    for (int b = 0; b < bsz; b++)
                        for (int g = group; g < groupEnd; g++)
                        {
                            int u0 = g * Unit, units = Math.Min(Unit, h - u0);
                            CellGroup(chunkGates + (long)b * chunkWidth + (g - group) * 4 * Unit, cellState + ((long)l * bsz + b) * h + u0,
                                next + (long)b * nextStride + u0, tanhC + member * Unit, units);
                        }
                    profiler?.Lap(StepPhase.CellForward);
                    group = claimed ? shares!.Claim(l, ref share) : groupEnd;
                }
                _team.Barrier();
                profiler?.Lap(StepPhase.Wait);
                // Everyone is past this layer's products: its h takes the new values (this member's
                // share of the units, whoever computed them).
                int h0 = g0 * Unit, h1 = Math.Min(h, g1 * Unit);
                for (int b = 0; b < bsz && h0 < h1; b++)
                    Buffer.MemoryCopy(next + (long)b * nextStride + h0, hState + ((long)l * bsz + b) * h + h0, (h1 - h0) * sizeof(float),
                        (h1 - h0) * sizeof(float));
                profiler?.Lap(StepPhase.Other);
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
            profiler?.Lap(StepPhase.Head);
        }
    }

    // The session's buffers are allocated pinned, so their addresses never change.
    private static float* Pinned(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));

    // One group of units for one stream, through the training forward's own cell code.
    private static void CellGroup(float* gates, float* c, float* hOut, float* tanhC, int units)
    {
        const int Unit = InferenceModel.GroupUnits;
        if (units == Unit && LstmCell.ForwardGroup16(gates, c, hOut, tanhC)) return;
        var cell = new Span<float>(c, units);
        LstmCell.ForwardUnits(new Span<float>(gates, units), new Span<float>(gates + Unit, units), new Span<float>(gates + 2 * Unit, units),
            new Span<float>(gates + 3 * Unit, units), cell, cell, new Span<float>(tanhC, units), new Span<float>(hOut, units));
    }
}
