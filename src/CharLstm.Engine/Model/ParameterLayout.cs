namespace CharLstm.Model;

/// <summary>
/// Where every parameter lives in the one flat buffer, in PyTorch's state_dict order:
/// <c>embedding.weight</c> (V, E) unless one-hot; per layer k <c>lstm.weight_ih_lk</c> (4H, In),
/// <c>lstm.weight_hh_lk</c> (4H, H), <c>lstm.bias_ih_lk</c> (4H), <c>lstm.bias_hh_lk</c> (4H), gate rows in
/// the order i, f, g, o; then <c>head.weight</c> (V, H) and <c>head.bias</c> (V). Gradients use the same
/// layout, so the optimizer is one loop and saving is one pass. The engine reaches the tensors through
/// the typed properties (<see cref="Embedding"/>, <see cref="Lstm"/>, <see cref="HeadWeight"/>,
/// <see cref="HeadBias"/>), resolved once here; files reach them by name.
/// </summary>
public sealed class ParameterLayout
{
    private readonly Dictionary<string, ParameterTensor> _byName;

    /// <summary>The largest number of parameters a model may have: the largest array .NET makes.</summary>
    public const long MaxParameters = 0x7FFFFFC7;

    /// <summary>Builds the layout of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The config is out of range, or has more than <see cref="MaxParameters"/> parameters.</exception>
    public ParameterLayout(ModelConfig config)
    {
        config.Validate();
        long count = CountParameters(config);
        if (count > MaxParameters)
            throw new ArgumentException($"this model would have {count:N0} parameters, more than one buffer can hold ({MaxParameters:N0}); "
                + "use fewer or smaller layers.");
        var tensors = new List<ParameterTensor>();
        int offset = 0;
        ParameterTensor Add(string name, params int[] shape)
        {
            var t = new ParameterTensor(name, shape, offset);
            tensors.Add(t);
            offset = checked(offset + t.Length);
            return t;
        }
        int v = config.VocabSize, h = config.HiddenSize;
        Embedding = config.OneHot ? null : Add("embedding.weight", v, config.EmbeddingSize);
        var layers = new LstmLayerTensors[config.Layers];
        for (int k = 0; k < config.Layers; k++)
        {
            layers[k] = new LstmLayerTensors(
                Add($"lstm.weight_ih_l{k}", 4 * h, config.LayerInputSize(k)),
                Add($"lstm.weight_hh_l{k}", 4 * h, h),
                Add($"lstm.bias_ih_l{k}", 4 * h),
                Add($"lstm.bias_hh_l{k}", 4 * h));
        }
        Lstm = layers;
        HeadWeight = Add("head.weight", v, h);
        HeadBias = Add("head.bias", v);
        Tensors = tensors;
        Count = offset;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// The number of parameters of <paramref name="config"/>, counted in 64 bits, so a size too large
    /// to allocate can be reported before anything is allocated.
    /// </summary>
    public static long CountParameters(ModelConfig config)
    {
        long v = config.VocabSize, h = config.HiddenSize, total = config.OneHot ? 0 : v * config.EmbeddingSize;
        for (int k = 0; k < config.Layers; k++) total += 4 * h * (config.LayerInputSize(k) + h) + 8 * h;
        return total + v * h + v;
    }

    /// <summary>Tensors in state_dict order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Total number of parameters.</summary>
    public int Count { get; }

    /// <summary><c>embedding.weight</c> (V, E), or null for one-hot input.</summary>
    public ParameterTensor? Embedding { get; }

    /// <summary>Each LSTM layer's tensors, bottom first.</summary>
    public IReadOnlyList<LstmLayerTensors> Lstm { get; }

    /// <summary><c>head.weight</c> (V, H).</summary>
    public ParameterTensor HeadWeight { get; }

    /// <summary><c>head.bias</c> (V).</summary>
    public ParameterTensor HeadBias { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor in this layout.</exception>
    public ParameterTensor this[string name] => _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>True when the layout has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The view of <paramref name="tensor"/> inside <paramref name="buffer"/>.</summary>
    public static Span<float> View(float[] buffer, ParameterTensor tensor) => buffer.AsSpan(tensor.Offset, tensor.Length);
}
