using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CharLstm.Model;
using CharLstm.Training;

namespace CharLstm.IO;

/// <summary>
/// The training checkpoint: the same container as the model file, holding its own copy of the
/// parameters (<c>model.*</c>), the optimizer buffers (<c>optimizer.*</c>) and the carried state
/// (<c>state.h</c>, <c>state.c</c>), with options, counters, generator state, data cursor and metrics in
/// the metadata. It is self-sufficient, so a crash between writing the model and the checkpoint can
/// never pair one step's weights with another step's optimizer.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Value of the <c>format</c> metadata key.</summary>
    public const string FormatName = "charlstm.checkpoint";

    private static readonly JsonSerializerOptions OptionsJson = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The resolved options as JSON, in the form the checkpoint keeps them.</summary>
    public static string SerializeOptions(TrainingOptions options) => JsonSerializer.Serialize(options, OptionsJson);

    /// <summary>Writes <paramref name="cp"/> atomically.</summary>
    public static void Save(TrainingCheckpoint cp, string path)
    {
        var (tensors, meta) = Contents(cp);
        AtomicFile.Write(path, stream => SafeTensors.Write(stream, tensors, meta));
    }

    /// <summary>The tensors and metadata <see cref="Save"/> writes.</summary>
    internal static (List<TensorEntry> Tensors, Dictionary<string, string> Metadata) Contents(TrainingCheckpoint cp)
    {
        var meta = ModelFile.ConfigMetadata(cp.Config, cp.Vocabulary, FormatName);
        string Num(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        meta["charlstm.options"] = SerializeOptions(cp.Options);
        meta["charlstm.corpus_name"] = cp.CorpusName;
        meta["charlstm.corpus_sha256"] = cp.CorpusSha256;
        meta["charlstm.optimizer"] = cp.OptimizerName;
        meta["charlstm.optimizer_steps"] = cp.OptimizerSteps.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.rng_state"] = string.Join(",", cp.RngState.Select(w => w.ToString(CultureInfo.InvariantCulture)));
        meta["charlstm.epoch"] = cp.Epoch.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.batch_index"] = cp.BatchIndex.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.step"] = cp.Step.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.characters_seen"] = cp.CharactersSeen.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.skipped_steps"] = cp.SkippedSteps.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.consecutive_skipped"] = cp.ConsecutiveSkipped.ToString(CultureInfo.InvariantCulture);
        meta["charlstm.best_val_loss"] = Num(cp.BestValidationLoss);
        meta["charlstm.elapsed_seconds"] = Num(cp.ElapsedSeconds);
        meta["charlstm.metrics"] = JsonSerializer.Serialize(cp.Metrics.Select(m => new[]
        {
            m.Step, m.Epoch, m.CharactersSeen, m.ElapsedSeconds, m.LearningRate, m.TrainLoss, m.GradientNorm, m.ValidationLoss,
        }), OptionsJson);

        var layout = new ParameterLayout(cp.Config);
        var tensors = new List<TensorEntry>();
        foreach (var t in layout.Tensors)
            tensors.Add(new TensorEntry("model." + t.Name, t.Shape, cp.Parameters.AsSpan(t.Offset, t.Length).ToArray()));
        foreach (var (name, buffer) in cp.OptimizerBuffers.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            tensors.Add(new TensorEntry("optimizer." + name, [buffer.Length], buffer));
        int[] stateShape = [cp.Config.Layers, cp.Options.Batch, cp.Config.HiddenSize];
        tensors.Add(new TensorEntry("state.h", stateShape, cp.StateH));
        tensors.Add(new TensorEntry("state.c", stateShape, cp.StateC));
        return (tensors, meta);
    }

    /// <summary>
    /// Whether the file at <paramref name="path"/> says it is a checkpoint: its metadata's <c>format</c> is
    /// <see cref="FormatName"/>. Reads only the header; the tensors are neither read nor checked.
    /// </summary>
    /// <returns>False for a model file or any other file, and for one whose header cannot be read (loading it says why).</returns>
    public static bool IsCheckpoint(string path)
    {
        try { return SafeTensors.ReadMetadata(path).TryGetValue("format", out string? format) && format == FormatName; }
        catch (ModelFormatException) { return false; }
    }

    /// <summary>Reads and validates a checkpoint.</summary>
    /// <exception cref="ModelFormatException">The file is malformed, inconsistent, or not a checkpoint.</exception>
    public static TrainingCheckpoint Load(string path) => Read(SafeTensors.ReadFile(path), $"'{path}'");

    /// <summary>Builds the checkpoint from an already read container; <paramref name="where"/> names it in messages.</summary>
    internal static TrainingCheckpoint Read(SafeTensorsFile file, string where)
    {
        var meta = file.Metadata;
        ModelFile.RequireFormat(meta, FormatName, where);
        var (config, vocabulary) = ModelFile.ReadConfig(meta, where);
        string Get(string key) => meta.TryGetValue(key, out string? v) ? v : throw Bad($"metadata '{key}' is missing");
        ModelFormatException Bad(string what) => new(ModelFormatError.BadMetadata, $"{where}: {what}. "
            + $"The checkpoint is damaged; resume from another run folder or start anew.");
        long Long(string key) => long.TryParse(Get(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture,
            out long v) && v >= 0 ? v : throw Bad($"'{key}' is not a non-negative integer");
        double Double(string key) => double.TryParse(Get(key), NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture,
            out double v) ? v : throw Bad($"'{key}' is not a number");

        TrainingOptions options;
        try
        {
            options = JsonSerializer.Deserialize<TrainingOptions>(Get("charlstm.options"),
            OptionsJson) ?? throw Bad("'charlstm.options' is empty"); options.Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException or InvalidOperationException
            or FormatException or OverflowException)
        { throw Bad($"'charlstm.options' is invalid ({ErrorText.Reason(e)})"); }
        if (options.ModelConfig(config.VocabSize) != config) throw Bad("the options describe a different model than the hyperparameters");

        var layout = ModelFile.Layout(config, where);
        ModelFile.CheckTensors(file, layout, "model.", where, exact: false);
        var unexpected = file.Tensors.Select(e => e.Name)
            .Where(n => !(n.StartsWith("model.", StringComparison.Ordinal) && layout.Contains(n["model.".Length..]))
                && !n.StartsWith("optimizer.", StringComparison.Ordinal) && n is not ("state.h" or "state.c"))
            .ToList();
        if (unexpected.Count > 0)
            throw new ModelFormatException(ModelFormatError.UnexpectedTensor, $"{where} has tensor(s) a checkpoint "
                + $"of this model does not hold: {string.Join(", ", unexpected.Take(10).Select(n => $"'{n}'"))}.");
        var parameters = new float[layout.Count]; // the layout's tensors are in the file, so this is bounded by its size
        ModelFile.CopyTensors(file, layout, parameters, "model.");

        var buffers = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var entry in file.Tensors.Where(e => e.Name.StartsWith("optimizer.", StringComparison.Ordinal)))
        {
            if (entry.Data.Length != layout.Count) throw new ModelFormatException(ModelFormatError.ShapeMismatch, $"{where}: optimizer buffer '{entry.Name}' "
                + $"has {entry.Data.Length} values for {layout.Count} parameters.");
            buffers[entry.Name["optimizer.".Length..]] = entry.Data;
        }
        long stateLength = (long)config.Layers * options.Batch * config.HiddenSize;
        float[] State(string name)
        {
            var e = file.Get(name);
            return e.Data.Length == stateLength ? e.Data : throw new ModelFormatException(ModelFormatError.ShapeMismatch, $"{where}: '{name}' "
                + $"has {e.Data.Length} values, expected {stateLength} (layers × batch × hidden).");
        }
        var rng = Get("charlstm.rng_state").Split(',');
        var rngState = new ulong[4];
        if (rng.Length != 4 || rng.Where((w, i) => !ulong.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture,
            out rngState[i])).Any() || rngState.All(w => w == 0))
            throw Bad("'charlstm.rng_state' is not four 64-bit words");

        List<MetricRow> metrics;
        try
        {
            var rows = JsonSerializer.Deserialize<double[][]>(Get("charlstm.metrics"), OptionsJson) ?? [];
            metrics = rows.Select(r => r is { Length: 8 } ? new MetricRow((long)r[0], (int)r[1], (long)r[2], r[3], r[4], r[5], r[6],
                r[7]) : throw Bad("a metrics row does not have 8 fields")).ToList();
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw Bad($"'charlstm.metrics' is "
            + $"invalid ({ErrorText.Reason(e)})");
        }

        return new TrainingCheckpoint(
            Options: options,
            Config: config,
            Parameters: parameters,
            Vocabulary: vocabulary.ToStrings(),
            CorpusName: Get("charlstm.corpus_name"),
            CorpusSha256: Get("charlstm.corpus_sha256"),
            OptimizerName: Get("charlstm.optimizer"),
            OptimizerSteps: Long("charlstm.optimizer_steps"),
            OptimizerBuffers: buffers,
            RngState: rngState,
            Epoch: (int)Math.Min(int.MaxValue, Long("charlstm.epoch")),
            BatchIndex: (int)Math.Min(int.MaxValue, Long("charlstm.batch_index")),
            StateH: State("state.h"),
            StateC: State("state.c"),
            Step: Long("charlstm.step"),
            CharactersSeen: Long("charlstm.characters_seen"),
            SkippedSteps: Long("charlstm.skipped_steps"),
            ConsecutiveSkipped: (int)Math.Min(int.MaxValue, Long("charlstm.consecutive_skipped")),
            BestValidationLoss: Double("charlstm.best_val_loss"),
            ElapsedSeconds: Double("charlstm.elapsed_seconds"),
            Metrics: metrics);
    }
}
