using System.Globalization;
using System.Text.Json;
using CharLstm.Data;
using CharLstm.Model;

namespace CharLstm.IO;

/// <summary>
/// The model file: safetensors with PyTorch state_dict names (so <c>load_state_dict</c> accepts it),
/// and <c>__metadata__</c> holding the format name and version, the hyperparameters, the vocabulary
/// (a JSON array of one-character strings) and a training summary. Loading checks every field against
/// every other before anything is trusted.
/// </summary>
public static class ModelFile
{
    /// <summary>Value of the <c>format</c> metadata key.</summary>
    public const string FormatName = "charlstm.model";
    /// <summary>Newest format version this build reads and the one it writes.</summary>
    public const int FormatVersion = 1;

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> atomically (a crash leaves the old file).</summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the network's.</exception>
    public static void Save(string path, ModelFileContents contents)
    {
        var (tensors, metadata) = Contents(contents);
        AtomicFile.Write(path, stream => SafeTensors.Write(stream, tensors, metadata));
    }

    /// <summary>The tensors and metadata <see cref="Save"/> writes.</summary>
    internal static (List<TensorEntry> Tensors, Dictionary<string, string> Metadata) Contents(ModelFileContents model)
    {
        var metadata = Metadata(model);
        var tensors = model.Network.Layout.Tensors
            .Select(t => new TensorEntry(t.Name, t.Shape, model.Network.Parameters.AsSpan(t.Offset, t.Length).ToArray()))
            .ToList();
        return (tensors, metadata);
    }

    /// <summary>
    /// The metadata <see cref="Save"/> writes: format, hyperparameters, vocabulary, training summary and text options
    /// (other formats that carry a model, such as the ONNX export, carry the same keys and values).
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the network's.</exception>
    internal static Dictionary<string, string> Metadata(ModelFileContents model)
    {
        if (model.Network.Config.VocabSize != model.Vocabulary.Size)
            throw new ArgumentException($"The vocabulary has {model.Vocabulary.Size} characters "
                + $"but the network expects {model.Network.Config.VocabSize}.", nameof(model));
        var metadata = ConfigMetadata(model.Network.Config, model.Vocabulary.ToStrings(), FormatName);
        if (model.Summary is { } s)
        {
            metadata["charlstm.training"] = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["corpus_name"] = s.CorpusName,
                ["corpus_sha256"] = s.CorpusSha256,
                ["characters_seen"] = s.CharactersSeen,
                ["steps"] = s.Steps,
                ["best_val_loss"] = double.IsFinite(s.BestValidationLoss) ? s.BestValidationLoss : null,
                ["date"] = s.Date.ToString("O", CultureInfo.InvariantCulture),
                ["tool_version"] = s.ToolVersion,
            }, Json);
        }
        if (model.TextOptions is { } text) metadata[TextOptionsKey] = WriteTextOptions(text);
        return metadata;
    }

    /// <summary>Reads and validates a model file.</summary>
    /// <exception cref="ModelFormatException">Anything about the file is wrong; the message says what and where.</exception>
    public static ModelFileContents Load(string path) => Read(SafeTensors.ReadFile(path), $"'{path}'");

    /// <summary>Reads the model from an already read container; <paramref name="where"/> names it in messages.</summary>
    internal static ModelFileContents Read(SafeTensorsFile file, string where)
    {
        RequireFormat(file.Metadata, FormatName, where);
        var (config, vocabulary) = ReadConfig(file.Metadata, where);
        var layout = Layout(config, where);
        CheckTensors(file, layout, prefix: "", where, exact: true);
        // Only now is the size trusted: every tensor the layout needs is in the file with its exact shape.
        var network = new LstmModel(config);
        CopyTensors(file, layout, network.Parameters, prefix: "");
        return new ModelFileContents(network, vocabulary, ReadSummary(file.Metadata, where), ReadTextOptions(file.Metadata, where));
    }

    internal static Dictionary<string, string> ConfigMetadata(ModelConfig c, string[] vocabulary, string format) => new()
    {
        ["format"] = format,
        ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
        ["charlstm.vocab_size"] = c.VocabSize.ToString(CultureInfo.InvariantCulture),
        ["charlstm.embedding_size"] = c.EmbeddingSize.ToString(CultureInfo.InvariantCulture),
        ["charlstm.hidden_size"] = c.HiddenSize.ToString(CultureInfo.InvariantCulture),
        ["charlstm.layers"] = c.Layers.ToString(CultureInfo.InvariantCulture),
        ["charlstm.dropout"] = c.Dropout.ToString("R", CultureInfo.InvariantCulture),
        ["charlstm.gate_order"] = "ifgo",
        ["charlstm.vocabulary"] = JsonSerializer.Serialize(vocabulary, Json),
    };

    internal static void RequireFormat(IReadOnlyDictionary<string, string> meta, string format, string where)
    {
        if (!meta.TryGetValue("format", out string? name))
            throw new ModelFormatException(ModelFormatError.UnknownFormat, $"{where} is a safetensors file but not a CharLstm file (its "
                + $"metadata has no 'format' entry). Pass a model file written by 'charlstm train'; tools/torch_interop.py documents the tensor names "
                + "and metadata a model file needs.");
        if (name != format)
        {
            string hint = name == CheckpointFile.FormatName
                ? " This is a training checkpoint; pass the model file (best.safetensors or last.safetensors) instead." : "";
            throw new ModelFormatException(ModelFormatError.UnknownFormat, $"{where} has format '{name}', expected '{format}'.{hint}");
        }
        if (!meta.TryGetValue("format_version", out string? v) || !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture,
            out int version) || version < 1)
            throw new ModelFormatException(ModelFormatError.BadMetadata, $"{where} has a missing or malformed 'format_version' (expected a positive integer).");
        if (version > FormatVersion)
            throw new ModelFormatException(ModelFormatError.NewerVersion, $"{where} is format version {version}, "
                + $"newer than this charlstm reads ({FormatVersion}). Update charlstm to load it.");
    }

    internal static (ModelConfig Config, Vocabulary Vocabulary) ReadConfig(IReadOnlyDictionary<string, string> meta, string where)
    {
        int Int(string key, int min, int max)
        {
            if (!meta.TryGetValue(key, out string? s) || !int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
                throw new ModelFormatException(ModelFormatError.BadMetadata, $"{where}: metadata '{key}' is missing or not an integer.");
            if (value < min || value > max)
                throw new ModelFormatException(ModelFormatError.BadMetadata, $"{where}: metadata '{key}' is {value}, outside {min}..{max}.");
            return value;
        }
        int vocabSize = Int("charlstm.vocab_size", 1, ModelConfig.MaxVocabSize);
        int embedding = Int("charlstm.embedding_size", 0, ModelConfig.MaxEmbeddingSize);
        int hidden = Int("charlstm.hidden_size", 1, ModelConfig.MaxHiddenSize);
        int layers = Int("charlstm.layers", 1, ModelConfig.MaxLayers);
        float dropout = 0;
        if (meta.TryGetValue("charlstm.dropout", out string? d) && (!float.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture,
            out dropout) || !(dropout >= 0 && dropout < 1)))
            throw new ModelFormatException(ModelFormatError.BadMetadata, $"{where}: metadata 'charlstm.dropout' is '{d}', not a number in [0, 1).");
        if (meta.TryGetValue("charlstm.gate_order", out string? order) && order != "ifgo")
            throw new ModelFormatException(ModelFormatError.BadMetadata, $"{where}: gate order '{order}' is not PyTorch's 'ifgo'.");

        if (!meta.TryGetValue("charlstm.vocabulary", out string? vocabJson))
            throw new ModelFormatException(ModelFormatError.BadVocabulary, $"{where} has no vocabulary ('charlstm.vocabulary' metadata).");
        string[]? entries;
        try { entries = JsonSerializer.Deserialize<string[]>(vocabJson, Json); }
        catch (JsonException e)
        {
            throw new ModelFormatException(ModelFormatError.BadVocabulary, $"{where}: "
            + $"the vocabulary is not a JSON array of strings ({ErrorText.Reason(e)}).", e);
        }
        if (entries is null || entries.Any(e => e is null))
            throw new ModelFormatException(ModelFormatError.BadVocabulary, $"{where}: the vocabulary is not a JSON array of strings.");
        if (entries.Length != vocabSize)
            throw new ModelFormatException(ModelFormatError.VocabularyMismatch, $"{where}: the vocabulary has {entries.Length} "
                + $"entries but 'charlstm.vocab_size' says {vocabSize}.");
        Vocabulary vocabulary;
        try { vocabulary = Vocabulary.FromStrings(entries); }
        catch (Exception e) when (e is ArgumentException or CorpusException or FormatException)
        { throw new ModelFormatException(ModelFormatError.BadVocabulary, $"{where}: bad vocabulary: {ErrorText.Reason(e)}.", e); }
        return (new ModelConfig(vocabSize, embedding, hidden, layers, dropout), vocabulary);
    }

    /// <summary>The parameter layout of <paramref name="config"/>, or a typed error when its size cannot be counted in an int.</summary>
    internal static ParameterLayout Layout(ModelConfig config, string where)
    {
        try { return new ParameterLayout(config); }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(ModelFormatError.BadMetadata,
                $"{where}: the hyperparameters (vocabulary {config.VocabSize}, embedding {config.EmbeddingSize}, hidden {config.HiddenSize}, "
                    + $"layers {config.Layers}) describe more than {ParameterLayout.MaxParameters:N0} parameters, more than any model can have.", e);
        }
    }

    /// <summary>
    /// Checks that the file holds every tensor of <paramref name="layout"/> (named prefix + state_dict name) with its
    /// exact shape, and with <paramref name="exact"/> nothing else. Allocates nothing sized by the metadata.
    /// </summary>
    internal static void CheckTensors(SafeTensorsFile file, ParameterLayout layout, string prefix, string where, bool exact)
    {
        var present = file.Tensors.ToDictionary(e => e.Name, StringComparer.Ordinal);
        foreach (var t in layout.Tensors)
        {
            string name = prefix + t.Name;
            if (!present.TryGetValue(name, out var entry))
                throw new ModelFormatException(ModelFormatError.MissingTensor, $"{where} lacks tensor '{name}' "
                    + $"that its hyperparameters require (shape [{string.Join(", ", t.Shape)}]).");
            if (!entry.Shape.SequenceEqual(t.Shape))
            {
                // A vocabulary-sized axis that alone disagrees means the vocabulary and the tensors were not saved together.
                bool vocabAxis = t.Name is "embedding.weight" or "head.weight" or "head.bias";
                bool onlyRowsDiffer = entry.Shape.Length == t.Shape.Length && entry.Shape.Skip(1).SequenceEqual(t.Shape.Skip(1));
                if (vocabAxis && onlyRowsDiffer)
                    throw new ModelFormatException(ModelFormatError.VocabularyMismatch,
                        $"{where}: tensor '{name}' has {entry.Shape[0]} rows but the vocabulary has {t.Shape[0]} "
                            + $"characters; shape [{string.Join(", ", entry.Shape)}], expected [{string.Join(", ", t.Shape)}].");
                throw new ModelFormatException(ModelFormatError.ShapeMismatch,
                    $"{where}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}] but "
                        + $"the hyperparameters and vocabulary require [{string.Join(", ", t.Shape)}].");
            }
        }
        if (exact)
        {
            var expected = layout.Tensors.Select(t => prefix + t.Name).ToHashSet(StringComparer.Ordinal);
            var extra = file.Tensors.Where(e => !expected.Contains(e.Name)).Select(e => e.Name).ToList();
            if (extra.Count > 0)
                throw new ModelFormatException(ModelFormatError.UnexpectedTensor, $"{where} has tensor(s) this model does not use: "
                    + $"{string.Join(", ", extra.Take(10).Select(n => $"'{n}'"))}{(extra.Count > 10 ? $" and {extra.Count - 10} more" : "")}. "
                        + $"The hyperparameters may not match the weights.");
        }
    }

    /// <summary>Copies the layout's tensors into <paramref name="destination"/>; call <see cref="CheckTensors"/> first.</summary>
    internal static void CopyTensors(SafeTensorsFile file, ParameterLayout layout, float[] destination, string prefix)
    {
        foreach (var t in layout.Tensors)
            file.Get(prefix + t.Name).Data.CopyTo(destination, t.Offset);
    }

    /// <summary>The metadata key of how the training text was read.</summary>
    public const string TextOptionsKey = "charlstm.text_options";

    internal static string WriteTextOptions(CorpusOptions text) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["lowercase"] = text.Lowercase,
        ["normalize_newlines"] = text.NormalizeNewlines,
        ["invalid_utf8"] = text.InvalidUtf8 == InvalidUtf8Mode.Replace ? "replace" : "error",
    }, Json);

    private static CorpusOptions? ReadTextOptions(IReadOnlyDictionary<string, string> meta, string where)
    {
        if (!meta.TryGetValue(TextOptionsKey, out string? json)) return null;
        ModelFormatException Bad(string what) => new(ModelFormatError.BadMetadata,
            $"{where}: '{TextOptionsKey}' {what}; expected "
            + $"{{\"lowercase\": true|false, \"normalize_newlines\": true|false, \"invalid_utf8\": \"error\"|\"replace\"}}.");
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw Bad("is not a JSON object");
            bool Flag(string key) => !r.TryGetProperty(key, out var v) ? false
                : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Bad($"has a '{key}' that is not true or false");
            string mode = r.TryGetProperty("invalid_utf8", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "error";
            if (mode is not ("error" or "replace")) throw Bad($"has invalid_utf8 '{mode}'");
            return new CorpusOptions
            {
                Lowercase = Flag("lowercase"), NormalizeNewlines = Flag("normalize_newlines"),
                InvalidUtf8 = mode == "replace" ? InvalidUtf8Mode.Replace : InvalidUtf8Mode.Error
            };
        }
        catch (JsonException) { throw Bad("is not valid JSON"); }
    }

    private static TrainingSummary? ReadSummary(IReadOnlyDictionary<string, string> meta, string where)
    {
        if (!meta.TryGetValue("charlstm.training", out string? json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            string Str(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            long Long(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : 0;
            if (r.ValueKind != JsonValueKind.Object) throw new JsonException("it is a JSON " + r.ValueKind.ToString().ToLowerInvariant());
            double best = r.TryGetProperty("best_val_loss", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetDouble(out double x) ? x : double.NaN;
            DateTimeOffset.TryParse(Str("date"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var date);
            return new TrainingSummary(Str("corpus_name"), Str("corpus_sha256"), Long("characters_seen"), Long("steps"), best, date, Str("tool_version"));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(ModelFormatError.BadMetadata, $"{where}: 'charlstm.training' is not a JSON object ({ErrorText.Reason(e)}).", e);
        }
    }
}
