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

    /// <summary>
    /// Takes over <paramref name="source"/>'s parameters for a vocabulary that differs from its own (fine-tuning on a text
    /// with other characters): every tensor without a vocabulary axis is copied whole, and the rows (embedding, head) or
    /// columns (a one-hot first layer's input weights) of each character are copied from the character's row in the
    /// source. Characters the source lacks keep this model's values (its initialisation).
    /// </summary>
    /// <param name="source">A model of the same shape apart from its vocabulary size.</param>
    /// <param name="sourceIdOf">For each id of this model, the same character's id in <paramref name="source"/>, or -1.</param>
    /// <exception cref="ArgumentException">The shapes differ apart from the vocabulary, or an id is out of range.</exception>
    public void TakeParametersFrom(LstmModel source, ReadOnlySpan<int> sourceIdOf)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (c, s) = (Config, source.Config);
        if (c with { VocabSize = s.VocabSize, Dropout = s.Dropout } != s)
            throw new ArgumentException($"the models differ in more than their vocabularies: {c} and {s}.");
        if (sourceIdOf.Length != c.VocabSize)
            throw new ArgumentException($"{sourceIdOf.Length} source ids for a vocabulary of {c.VocabSize}.", nameof(sourceIdOf));
        foreach (int id in sourceIdOf)
            if (id < -1 || id >= s.VocabSize) throw new ArgumentException($"source id {id} is outside 0..{s.VocabSize - 1}.", nameof(sourceIdOf));

        var rowsByCharacter = new HashSet<string?> { Layout.Embedding?.Name, Layout.HeadWeight.Name, Layout.HeadBias.Name };
        string? oneHotInput = c.OneHot ? Layout.Lstm[0].InputWeights.Name : null;
        foreach (var tensor in Layout.Tensors)
        {
            var to = View(tensor);
            var from = source.View(tensor.Name);
            if (rowsByCharacter.Contains(tensor.Name))
            {
                int width = tensor.Shape.Length == 2 ? tensor.Shape[1] : 1;
                for (int id = 0; id < sourceIdOf.Length; id++)
                    if (sourceIdOf[id] >= 0) from.Slice(sourceIdOf[id] * width, width).CopyTo(to.Slice(id * width, width));
            }
            else if (tensor.Name == oneHotInput)
            {
                int rows = tensor.Shape[0];
                for (int r = 0; r < rows; r++)
                    for (int id = 0; id < sourceIdOf.Length; id++)
                        if (sourceIdOf[id] >= 0) to[r * c.VocabSize + id] = from[r * s.VocabSize + sourceIdOf[id]];
            }
            else from.CopyTo(to);
        }
    }
}
