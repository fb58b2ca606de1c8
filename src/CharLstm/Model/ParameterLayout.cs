namespace CharLstm.Model;

/// <summary>One named tensor inside the flat parameter buffer.</summary>
/// <param name="Name">PyTorch state_dict name, e.g. <c>lstm.weight_ih_l0</c>.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Offset">First element in the flat buffer.</param>
public sealed record ParameterTensor(string Name, int[] Shape, int Offset)
{
    /// <summary>Number of elements.</summary>
    public int Length { get; } = Shape.Aggregate(1, (a, d) => checked(a * d));
}

/// <summary>
/// Where every parameter lives in the one flat buffer, in PyTorch's state_dict order:
/// <c>embedding.weight</c> (V, E) unless one-hot; per layer k <c>lstm.weight_ih_lk</c> (4H, In),
/// <c>lstm.weight_hh_lk</c> (4H, H), <c>lstm.bias_ih_lk</c> (4H), <c>lstm.bias_hh_lk</c> (4H), gate rows in
/// the order i, f, g, o; then <c>head.weight</c> (V, H) and <c>head.bias</c> (V). Gradients use the same
/// layout, so the optimizer is one loop and saving is one pass.
/// </summary>
public sealed class ParameterLayout
{
    private readonly Dictionary<string, ParameterTensor> _byName;

    /// <summary>Builds the layout of <paramref name="config"/>.</summary>
    public ParameterLayout(ModelConfig config)
    {
        config.Validate();
        var tensors = new List<ParameterTensor>();
        int offset = 0;
        void Add(string name, params int[] shape)
        {
            var t = new ParameterTensor(name, shape, offset);
            tensors.Add(t);
            offset = checked(offset + t.Length);
        }
        int v = config.VocabSize, h = config.HiddenSize;
        if (!config.OneHot) Add("embedding.weight", v, config.EmbeddingSize);
        for (int k = 0; k < config.Layers; k++)
        {
            Add($"lstm.weight_ih_l{k}", 4 * h, config.LayerInputSize(k));
            Add($"lstm.weight_hh_l{k}", 4 * h, h);
            Add($"lstm.bias_ih_l{k}", 4 * h);
            Add($"lstm.bias_hh_l{k}", 4 * h);
        }
        Add("head.weight", v, h);
        Add("head.bias", v);
        Tensors = tensors;
        Count = offset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>Tensors in state_dict order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Total number of parameters.</summary>
    public int Count { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor in this layout.</exception>
    public ParameterTensor this[string name] => _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>True when the layout has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The view of <paramref name="name"/> inside <paramref name="buffer"/>.</summary>
    public Span<float> View(float[] buffer, string name)
    {
        var t = this[name];
        return buffer.AsSpan(t.Offset, t.Length);
    }
}
