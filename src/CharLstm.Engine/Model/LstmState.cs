namespace CharLstm.Model;

/// <summary>Hidden and cell state of every layer for a batch of streams, carried between calls.</summary>
public sealed class LstmState
{
    /// <summary>A zero state for <paramref name="batch"/> streams.</summary>
    public LstmState(int layers, int batch, int hidden)
    {
        Layers = layers; Batch = batch; Hidden = hidden;
        H = new float[layers * batch * hidden];
        C = new float[layers * batch * hidden];
    }

    /// <summary>A zero state shaped for <paramref name="config"/>.</summary>
    public LstmState(ModelConfig config, int batch) : this(config.Layers, batch, config.HiddenSize) { }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }
    /// <summary>Number of independent streams.</summary>
    public int Batch { get; }
    /// <summary>Units per layer.</summary>
    public int Hidden { get; }
    /// <summary>Hidden state, (layers, batch, hidden).</summary>
    public float[] H { get; }
    /// <summary>Cell state, (layers, batch, hidden).</summary>
    public float[] C { get; }

    /// <summary>Back to the zero state.</summary>
    public void Reset() { Array.Clear(H); Array.Clear(C); }

    /// <summary>Copies another state of the same shape.</summary>
    public void CopyFrom(LstmState other)
    {
        if (other.H.Length != H.Length) throw new ArgumentException("State shapes differ.", nameof(other));
        other.H.CopyTo(H, 0); other.C.CopyTo(C, 0);
    }
}
