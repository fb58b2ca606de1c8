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

    /// <summary>The view of one tensor.</summary>
    public Span<float> View(ParameterTensor tensor) => ParameterLayout.View(Parameters, tensor);

    /// <summary>The view of the tensor called <paramref name="name"/> (its PyTorch state_dict name).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor in this model.</exception>
    public Span<float> View(string name) => View(Layout[name]);

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
            foreach (var layer in model.Layout.Lstm)
            {
                model.View(layer.InputBias).Slice(h, h).Fill(1f);
                model.View(layer.RecurrentBias).Slice(h, h).Clear();
            }
        }
        return model;
    }
}
