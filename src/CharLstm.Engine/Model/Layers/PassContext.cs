using CharLstm.Numerics;

namespace CharLstm.Model.Layers;

/// <summary>
/// What the layers of one <see cref="NetworkPass"/> share: the batch's shape, the thread team, the
/// profiler, and the backward scratch that one layer at a time uses (shared, not per layer, so the
/// pass holds it once).
/// </summary>
internal sealed class PassContext
{
    public PassContext(ModelConfig config, int batch, int seqLen, ThreadTeam team)
    {
        Config = config;
        Batch = batch;
        SeqLen = seqLen;
        Rows = checked(batch * seqLen);
        Team = team;
        int h = config.HiddenSize;
        DGates = new PinnedBuffer((long)Rows * 4 * h);
        DOutput = new PinnedBuffer((long)Rows * h);
        Dh = new PinnedBuffer((long)batch * h);
        Dc = new PinnedBuffer((long)batch * h);
    }

    public ModelConfig Config { get; }
    /// <summary>Streams per batch (B).</summary>
    public int Batch { get; }
    /// <summary>Time steps per batch (T).</summary>
    public int SeqLen { get; }
    /// <summary>Rows of every activation: N = T·B, time-major (row t·B + b is stream b at step t).</summary>
    public int Rows { get; }
    public ThreadTeam Team { get; }
    public IStepProfiler? Profiler { get; set; }

    // ---- backward scratch, used by one layer at a time ----
    /// <summary>(N, 4H): the gate gradients of the layer being backpropagated.</summary>
    public PinnedBuffer DGates { get; }
    /// <summary>(N, H): dL/d(output) of the layer being backpropagated; its input side then writes dL/d(input) here for the layer below.</summary>
    public PinnedBuffer DOutput { get; }
    /// <summary>(B, H): the recurrent gradients dh and dc, carried right to left through time.</summary>
    public PinnedBuffer Dh { get; }
    /// <summary>(B, H), see <see cref="Dh"/>.</summary>
    public PinnedBuffer Dc { get; }
    /// <summary>A weight matrix packed as B for an input-gradient product (W_ih, W_head).</summary>
    public PackedMatrix PackedWeights { get; } = new();
    /// <summary>W_hh (4H, H) packed as B for the per-step dh product.</summary>
    public PackedMatrix PackedRecurrent { get; } = new();
    /// <summary>An activation (N, ·) packed as B for a weight-gradient product.</summary>
    public PackedMatrix PackedActivations { get; } = new();

    public void Lap(StepPhase phase) => Profiler?.Lap(phase);

    /// <summary>Bytes of the shared scratch (packed buffers count once they have been used).</summary>
    public long BufferBytes => 4 * ((long)DGates.Length + DOutput.Length + Dh.Length + Dc.Length
        + PackedWeights.Capacity + PackedRecurrent.Capacity + PackedActivations.Capacity + ThreadTeam.ScratchFloats * (long)Team.Size);
}
