using CharLstm.Data;
using CharLstm.Sampling;

namespace CharLstm;

/// <summary>How <see cref="CharLanguageModel.Generate"/> continues a text.</summary>
public sealed record GenerationOptions
{
    /// <summary>Text to condition on; empty starts from <see cref="CharLanguageModel.StartCharacter"/> with a zero state.</summary>
    public string Prompt { get; init; } = "";
    /// <summary>Characters to generate.</summary>
    public int Length { get; init; } = 500;
    /// <summary>Temperature, top-k, top-p.</summary>
    public SamplingOptions Sampling { get; init; } = new();
    /// <summary>Seed of the sampler; the same seed gives the same text. Null: a fresh random seed.</summary>
    public ulong? Seed { get; init; }
    /// <summary>Compute threads for each step (1 is fastest for small models).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>What to do with prompt characters the vocabulary lacks.</summary>
    public UnknownMode Unknown { get; init; } = UnknownMode.Error;
    /// <summary>
    /// End the text at the first of these (the stop itself is not part of it; see <see cref="StopSequences"/>).
    /// <see cref="Length"/> still bounds the characters generated.
    /// </summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
}
