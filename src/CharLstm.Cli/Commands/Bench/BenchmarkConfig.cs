using CharLstm.Model;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>A benchmark configuration: the model and the training batch.</summary>
/// <param name="Name">Preset name (<c>T1</c>, <c>T2</c>, <c>T3</c>).</param>
/// <param name="Vocab">Vocabulary size.</param>
/// <param name="Embedding">Embedding width; 0 = one-hot input.</param>
/// <param name="Hidden">Units per LSTM layer.</param>
/// <param name="Layers">Stacked LSTM layers.</param>
/// <param name="Batch">Streams per training batch.</param>
/// <param name="Seq">Time steps per training batch.</param>
public sealed record BenchmarkConfig(string Name, int Vocab, int Embedding, int Hidden, int Layers, int Batch, int Seq)
{
    /// <summary>The presets of bench/README.md, by name.</summary>
    public static IReadOnlyDictionary<string, BenchmarkConfig> Presets { get; } = new Dictionary<string, BenchmarkConfig>(StringComparer.Ordinal)
    {
        ["T1"] = new("T1", Vocab: 65, Embedding: 0, Hidden: 128, Layers: 2, Batch: 50, Seq: 50),
        ["T2"] = new("T2", Vocab: 65, Embedding: 64, Hidden: 256, Layers: 2, Batch: 64, Seq: 100),
        ["T3"] = new("T3", Vocab: 65, Embedding: 64, Hidden: 512, Layers: 2, Batch: 64, Seq: 100),
    };

    /// <summary>The model shape (no dropout).</summary>
    public ModelConfig Model => new(Vocab, Embedding, Hidden, Layers);
}
