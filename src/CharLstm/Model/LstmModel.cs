using CharLstm.Numerics;

namespace CharLstm.Model;

/// <summary>
/// A character LSTM's parameters: one flat buffer, viewed as named PyTorch-layout tensors through
/// <see cref="Layout"/>. The model itself is read-only during generation, so many sessions can share it.
/// </summary>
public sealed class LstmModel
{
    /// <summary>Creates a model with every parameter zero (for loading).</summary>
    public LstmModel(ModelConfig config)
    {
        Layout = new ParameterLayout(config);
        Config = config;
        Parameters = new float[Layout.Count];
    }

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where each named tensor lives in <see cref="Parameters"/>.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All parameters, flat, in <see cref="Layout"/> order.</summary>
    public float[] Parameters { get; }

    /// <summary>The view of one named tensor.</summary>
    public Span<float> View(string name) => Layout.View(Parameters, name);

    /// <summary>
    /// A model initialised as PyTorch does by default: every LSTM weight and bias uniform in
    /// ±1/√H; the embedding standard normal; the head weight and bias uniform in ±1/√H (nn.Linear's
    /// default for fan-in H).
    /// </summary>
    /// <param name="config">The model's shape.</param>
    /// <param name="rng">Source of the random values; tensors are filled in layout order.</param>
    /// <param name="forgetBiasOne">Start the forget gate open: its input bias 1 and recurrent bias 0,
    /// so f = σ(1) ≈ 0.73 and memories are kept early in training (Jozefowicz et al. 2015).</param>
    public static LstmModel CreateInitialized(ModelConfig config, Rng rng, bool forgetBiasOne = false)
    {
        var model = new LstmModel(config);
        float bound = 1f / MathF.Sqrt(config.HiddenSize);
        foreach (var tensor in model.Layout.Tensors)
        {
            var view = model.Parameters.AsSpan(tensor.Offset, tensor.Length);
            if (tensor.Name == "embedding.weight")
                for (int i = 0; i < view.Length; i++) view[i] = rng.NextGaussian();
            else
                for (int i = 0; i < view.Length; i++) view[i] = rng.NextUniform(-bound, bound);
        }
        if (forgetBiasOne)
        {
            int h = config.HiddenSize;
            for (int k = 0; k < config.Layers; k++)
            {
                model.View($"lstm.bias_ih_l{k}").Slice(h, h).Fill(1f);
                model.View($"lstm.bias_hh_l{k}").Slice(h, h).Clear();
            }
        }
        return model;
    }
}

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
