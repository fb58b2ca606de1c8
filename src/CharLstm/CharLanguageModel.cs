using CharLstm.Data;
using CharLstm.IO;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;
using CharLstm.Training;

namespace CharLstm;

/// <summary>
/// A trained character model: the LSTM, its vocabulary and what is known of its training. The entry
/// point for programs that generate or score text.
/// </summary>
public sealed class CharLanguageModel
{
    private InferenceModel? _inference;

    /// <summary>Pairs a network with its vocabulary.</summary>
    /// <exception cref="ArgumentException">The vocabulary size differs from the network's.</exception>
    public CharLanguageModel(LstmModel network, Vocabulary vocabulary, TrainingSummary? summary = null, CorpusOptions? textOptions = null)
    {
        if (network.Config.VocabSize != vocabulary.Size)
            throw new ArgumentException($"The vocabulary has {vocabulary.Size} characters but the network expects {network.Config.VocabSize}.");
        Network = network;
        Vocabulary = vocabulary;
        Summary = summary;
        TextOptions = textOptions ?? CorpusOptions.Default;
    }

    /// <summary>Loads and validates a model file (see <see cref="ModelFile"/>).</summary>
    /// <exception cref="ModelFormatException">The file is malformed; the message says what and where.</exception>
    public static CharLanguageModel Load(string path)
    {
        var contents = ModelFile.Load(path);
        return new CharLanguageModel(contents.Network, contents.Vocabulary, contents.Summary, contents.TextOptions);
    }

    /// <summary>Writes the model file atomically: a crash mid-write leaves the previous file intact.</summary>
    public void Save(string path) => ModelFile.Save(path, FileContents);

    /// <summary>What <see cref="Save"/> writes.</summary>
    public ModelFileContents FileContents => new(Network, Vocabulary, Summary, TextOptions);

    /// <summary>The LSTM and its parameters.</summary>
    public LstmModel Network { get; }
    /// <summary>The characters the model knows, sorted.</summary>
    public Vocabulary Vocabulary { get; }
    /// <summary>Training record, when known.</summary>
    public TrainingSummary? Summary { get; set; }
    /// <summary>
    /// How the training text was read: prompts and texts given as strings are lower-cased and have their
    /// newlines normalised the same way (<see cref="TextDecoding.Normalize"/>) before they meet the vocabulary.
    /// </summary>
    public CorpusOptions TextOptions { get; set; }
    /// <summary>The model's shape.</summary>
    public ModelConfig Config => Network.Config;

    /// <summary>
    /// The character fed first when there is no prompt: a newline if the vocabulary has one (texts
    /// start after a line break), else the vocabulary's first character. It is not part of the output.
    /// </summary>
    public int StartCharacter => Vocabulary.TryGetId('\n', out int id) ? id : 0;

    /// <summary>The read-only generation snapshot (made on first use; call <see cref="Invalidate"/> after changing weights).</summary>
    public InferenceModel Inference => _inference ??= new InferenceModel(Network);

    /// <summary>Drops the cached generation snapshot after the weights changed.</summary>
    public void Invalidate() => _inference = null;

    /// <summary>
    /// Generates text after <see cref="GenerationOptions.Prompt"/>, yielding it as it is made: one
    /// character at a time (as a string, so characters outside the BMP stay whole), or, with stop
    /// sequences, each piece as soon as it can no longer start one.
    /// </summary>
    /// <exception cref="ArgumentException">The length or thread count is out of range, or a stop sequence is empty.</exception>
    /// <exception cref="CorpusException">The prompt has characters the vocabulary lacks (with <see cref="UnknownMode.Error"/>).</exception>
    public IEnumerable<string> Generate(GenerationOptions options)
    {
        int[] prompt = EncodePrompt(options.Prompt, options.Unknown);
        var rng = new Rng(options.Seed ?? (ulong)Random.Shared.NextInt64());
        var pieces = TextGenerator.Generate(Inference, prompt, options.Length, options.Sampling, rng, options.Threads).Select(id => Vocabulary.Decode([id]));
        return options.Stop.Count == 0 ? pieces : UntilStop(pieces, new StopSequences(options.Stop));
    }

    private static IEnumerable<string> UntilStop(IEnumerable<string> pieces, StopSequences stops)
    {
        foreach (string piece in pieces)
        {
            string ready = stops.Push(piece);
            if (ready.Length > 0) yield return ready;
            if (stops.Stopped) yield break;
        }
        if (stops.Flush() is { Length: > 0 } rest) yield return rest;
    }

    private int[] EncodePrompt(string text, UnknownMode unknown)
    {
        int[] ids = Vocabulary.Encode(TextDecoding.Normalize(TextScalars.FromString(text), TextOptions), unknown, out _);
        return ids.Length == 0 ? [StartCharacter] : ids;
    }

    /// <summary>
    /// Mean loss on <paramref name="text"/>, read as one stream from a zero state: every character
    /// after the first is predicted from all before it. The text is first normalised as the training
    /// text was (<see cref="TextOptions"/>).
    /// </summary>
    public EvaluationResult Evaluate(string text, UnknownMode unknown = UnknownMode.Error)
        => Evaluate(TextDecoding.Normalize(TextScalars.FromString(text), TextOptions), unknown);

    /// <summary>As <see cref="Evaluate(string, UnknownMode)"/>, for text already decoded to Unicode scalar values (e.g. a <see cref="Corpus"/>).</summary>
    public EvaluationResult Evaluate(ReadOnlySpan<int> scalars, UnknownMode unknown = UnknownMode.Error)
    {
        int[] ids = Vocabulary.Encode(scalars, unknown, out _);
        return new EvaluationResult(StreamEvaluator.Score(Network, ids, streams: 1), scalars.Length - ids.Length);
    }
}
