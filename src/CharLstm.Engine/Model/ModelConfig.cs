namespace CharLstm.Model;

/// <summary>
/// The shape of a character LSTM: input encoding, stacked LSTM layers, and a linear head to the
/// vocabulary. Layouts follow PyTorch's <c>nn.Embedding</c>, <c>nn.LSTM</c> and <c>nn.Linear</c>, so
/// weights are interchangeable with <c>torch.nn</c>.
/// </summary>
/// <param name="VocabSize">Number of distinct characters (the softmax width).</param>
/// <param name="EmbeddingSize">Width of the learned embedding table; 0 means one-hot input (the
/// Keras-lab model: an identity table of width <paramref name="VocabSize"/>, nothing trained).</param>
/// <param name="HiddenSize">Units per LSTM layer.</param>
/// <param name="Layers">Stacked LSTM layers, 1 to 8.</param>
/// <param name="Dropout">Inverted-dropout probability applied to every layer's output (between layers
/// and before the head) while training; 0 disables it.</param>
public sealed record ModelConfig(int VocabSize, int EmbeddingSize, int HiddenSize, int Layers, float Dropout = 0f)
{
    /// <summary>Largest number of stacked layers accepted.</summary>
    public const int MaxLayers = 8;
    /// <summary>Largest hidden size accepted.</summary>
    public const int MaxHiddenSize = 16384;
    /// <summary>Largest embedding width accepted.</summary>
    public const int MaxEmbeddingSize = 65536;
    /// <summary>Largest vocabulary accepted: every Unicode scalar value fits.</summary>
    public const int MaxVocabSize = 1 << 21;

    /// <summary>True when the input is one-hot rather than a learned embedding.</summary>
    public bool OneHot => EmbeddingSize == 0;

    /// <summary>Width of the first LSTM layer's input.</summary>
    public int InputSize => OneHot ? VocabSize : EmbeddingSize;

    /// <summary>Input width of LSTM layer <paramref name="layer"/>.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : HiddenSize;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field out of range.</summary>
    public void Validate()
    {
        if (VocabSize < 1 || VocabSize > MaxVocabSize) throw new ArgumentException($"vocabulary size must be 1 to {MaxVocabSize}, got {VocabSize}.");
        if (EmbeddingSize < 0 || EmbeddingSize > MaxEmbeddingSize) throw new ArgumentException($"embedding size must be 0 (one-hot) to {MaxEmbeddingSize}, "
            + $"got {EmbeddingSize}.");
        if (HiddenSize < 1 || HiddenSize > MaxHiddenSize) throw new ArgumentException($"hidden size must be 1 to {MaxHiddenSize}, got {HiddenSize}.");
        if (Layers < 1 || Layers > MaxLayers) throw new ArgumentException($"layers must be 1 to {MaxLayers}, got {Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
    }
}
