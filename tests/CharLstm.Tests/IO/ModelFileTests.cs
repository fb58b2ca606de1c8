using System.Buffers.Binary;
using System.Text.Json;
using CharLstm.IO;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.IO;

/// <summary>
/// Model-level validation of model files: one test per problem the issue lists, each checking the error kind and
/// that the message names the problem; and round trips of model files and checkpoints.
/// </summary>
public class ModelFileTests
{
    private const string VocabularyText = "hello, wörld 🙂\n";

    private static (List<TensorEntry> Tensors, Dictionary<string, string> Metadata) Valid(int embedding = 5) =>
        ModelFile.Contents(NewModel(VocabularyText, embedding));

    private static ModelFormatException Fails(List<TensorEntry> tensors, Dictionary<string, string> metadata, ModelFormatError expected, params string[] mentions) =>
        Fails(Bytes(tensors, metadata), expected, mentions);

    private static ModelFormatException Fails(byte[] file, ModelFormatError expected, params string[] mentions)
    {
        var e = Assert.Throws<ModelFormatException>(() => LoadModel(file));
        Assert.True(expected == e.Error, $"expected {expected} but got {e.Error}: {e.Message}");
        foreach (string mention in mentions)
            Assert.Contains(mention, e.Message, StringComparison.Ordinal);
        return e;
    }

    private static TensorEntry Resized(TensorEntry t, params int[] shape) =>
        new(t.Name, shape, new float[shape.Aggregate(1, (a, d) => a * d)]);

    // ---- tensors ----

    [Fact]
    public void Missing_tensor_is_named()
    {
        var (tensors, meta) = Valid();
        tensors.RemoveAll(t => t.Name == "lstm.bias_hh_l1");
        Fails(tensors, meta, ModelFormatError.MissingTensor, "'lstm.bias_hh_l1'");
    }

    [Fact]
    public void Unexpected_tensor_is_named()
    {
        var (tensors, meta) = Valid();
        tensors.Add(new TensorEntry("lstm.weight_ih_l2", [48, 12], new float[48 * 12]));
        Fails(tensors, meta, ModelFormatError.UnexpectedTensor, "'lstm.weight_ih_l2'");
    }

    [Fact]
    public void Fewer_layers_than_tensors_reports_the_unused_layer()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.layers"] = "1";
        Fails(tensors, meta, ModelFormatError.UnexpectedTensor, "'lstm.weight_ih_l1'");
    }

    [Fact]
    public void Hidden_size_inconsistent_with_shapes_is_shape_mismatch()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.hidden_size"] = "7";
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l0'", "[48, 5]", "[28, 5]");
    }

    [Fact]
    public void Embedding_size_inconsistent_with_shapes_is_shape_mismatch()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.embedding_size"] = "6";
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'embedding.weight'");
    }

    [Fact]
    public void Transposed_tensor_is_shape_mismatch()
    {
        var (tensors, meta) = Valid();
        int i = tensors.FindIndex(t => t.Name == "lstm.weight_hh_l0");
        tensors[i] = tensors[i] with { Shape = [12, 48] };
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_hh_l0'", "[12, 48]", "[48, 12]");
    }

    [Fact]
    public void Huge_hyperparameters_are_rejected_before_allocating()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.hidden_size"] = "8000"; // 4·8000·8000 floats per matrix: gigabytes the file does not hold
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l0'");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the loader allocated by the claimed size");
    }

    [Fact]
    public void Hyperparameters_beyond_any_file_are_bad_metadata_not_overflow()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.embedding_size"] = "65536";
        meta["charlstm.hidden_size"] = "16384";
        meta["charlstm.layers"] = "8";
        Fails(tensors, meta, ModelFormatError.BadMetadata, "parameters");
    }

    // ---- vocabulary ----

    [Fact]
    public void Vocabulary_larger_than_embedding_is_vocabulary_mismatch()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<List<string>>(meta["charlstm.vocabulary"])!;
        entries.Add("🙃"); // after every entry, so the list stays sorted
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        meta["charlstm.vocab_size"] = entries.Count.ToString();
        Fails(tensors, meta, ModelFormatError.VocabularyMismatch, "'embedding.weight'", "vocabulary");
    }

    [Fact]
    public void Vocabulary_not_matching_head_is_vocabulary_mismatch()
    {
        var (tensors, meta) = Valid();
        int v = int.Parse(meta["charlstm.vocab_size"]);
        int w = tensors.FindIndex(t => t.Name == "head.weight");
        tensors[w] = Resized(tensors[w], v - 1, 12);
        tensors[w + 1] = Resized(tensors[w + 1], v - 1);
        Fails(tensors, meta, ModelFormatError.VocabularyMismatch, "'head.weight'", $"{v - 1} rows", $"{v} characters");
    }

    [Fact]
    public void Vocabulary_not_matching_one_hot_input_is_shape_mismatch()
    {
        var (tensors, meta) = Valid(embedding: 0);
        var entries = JsonSerializer.Deserialize<List<string>>(meta["charlstm.vocabulary"])!;
        entries.Add("🙃"); // after every entry, so the list stays sorted
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        meta["charlstm.vocab_size"] = entries.Count.ToString();
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l0'");
    }

    [Fact]
    public void Vocabulary_length_not_matching_vocab_size_is_vocabulary_mismatch()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.vocab_size"] = "99";
        Fails(tensors, meta, ModelFormatError.VocabularyMismatch, "'charlstm.vocab_size' says 99");
    }

    [Fact]
    public void Duplicate_vocabulary_entry_is_bad_vocabulary()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<string[]>(meta["charlstm.vocabulary"])!;
        entries[3] = entries[2];
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "entry 3", "repeats entry 2");
    }

    [Fact]
    public void Multi_character_vocabulary_entry_is_bad_vocabulary()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<string[]>(meta["charlstm.vocabulary"])!;
        entries[^1] = "zz";
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "has 2 characters", "exactly one");
    }

    [Fact]
    public void Empty_and_lone_surrogate_vocabulary_entries_are_bad_vocabulary()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<string[]>(meta["charlstm.vocabulary"])!;
        entries[0] = "";
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "entry 0", "is empty");
        meta["charlstm.vocabulary"] = meta["charlstm.vocabulary"].Replace("\"\"", "\"\\ud800\"");
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "vocabulary");
    }

    [Fact]
    public void Vocabulary_not_a_json_array_of_strings_is_bad_vocabulary()
    {
        var (tensors, meta) = Valid();
        foreach (string bad in new[] { "abc", "{\"a\":1}", "[1,2]", "[\"a\",null]", "null", "" })
        {
            meta["charlstm.vocabulary"] = bad;
            var e = Fails(tensors, meta, ModelFormatError.BadVocabulary, "vocabulary");
            Assert.DoesNotContain("LineNumber", e.Message); // the reader's position is for programmers
        }
        meta.Remove("charlstm.vocabulary");
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "no vocabulary");
    }

    [Fact]
    public void Text_options_round_trip_and_bad_ones_are_bad_metadata()
    {
        var text = new CharLstm.Data.CorpusOptions { Lowercase = true, NormalizeNewlines = true, InvalidUtf8 = CharLstm.Data.InvalidUtf8Mode.Replace };
        var loaded = LoadModel(Bytes(NewModel(VocabularyText) with { TextOptions = text }));
        Assert.Equal(text, loaded.TextOptions);
        Assert.Null(LoadModel(Bytes(NewModel(VocabularyText))).TextOptions); // files from before the key: nothing recorded

        var (tensors, meta) = Valid();
        foreach (string bad in new[] { "[]", "{\"lowercase\": 1}", "{\"invalid_utf8\": \"ignore\"}", "not json" })
        {
            meta[ModelFile.TextOptionsKey] = bad;
            Fails(tensors, meta, ModelFormatError.BadMetadata, ModelFile.TextOptionsKey);
        }
    }

    // ---- values ----

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Non_finite_weight_is_named_with_its_tensor(float value, string spelled)
    {
        var (tensors, meta) = Valid();
        byte[] file = Bytes(tensors, meta);
        // head.bias is the last tensor: its last element is the file's last four bytes.
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(file.Length - 4), value);
        Fails(file, ModelFormatError.NonFiniteValue, "'head.bias'", spelled);
    }

    // ---- format ----

    [Fact]
    public void Unknown_format_name_is_named()
    {
        var (tensors, meta) = Valid();
        meta["format"] = "gguf.llama";
        Fails(tensors, meta, ModelFormatError.UnknownFormat, "'gguf.llama'", $"'{ModelFile.FormatName}'");
        meta.Remove("format");
        var e = Fails(tensors, meta, ModelFormatError.UnknownFormat, "not a CharLstm file", "tools/torch_interop.py documents");
        Assert.DoesNotContain("convert", e.Message); // the script loads model files into torch; it converts nothing
    }

    [Fact]
    public void Checkpoint_given_as_model_says_to_pass_the_model_file()
    {
        Fails(Bytes(Checkpoint()), ModelFormatError.UnknownFormat, "training checkpoint", "best.safetensors");
    }

    [Fact]
    public void Newer_format_version_says_to_update()
    {
        var (tensors, meta) = Valid();
        meta["format_version"] = "2";
        Fails(tensors, meta, ModelFormatError.NewerVersion, "version 2", "Update charlstm");
    }

    [Theory]
    [InlineData("", "format_version")]
    [InlineData("0", "format_version")]
    [InlineData("1.0", "format_version")]
    [InlineData("-1", "format_version")]
    public void Malformed_format_version_is_bad_metadata(string version, string mention)
    {
        var (tensors, meta) = Valid();
        meta["format_version"] = version;
        Fails(tensors, meta, ModelFormatError.BadMetadata, mention);
    }

    // ---- hyperparameters ----

    [Theory]
    [InlineData("charlstm.hidden_size", "abc", "not an integer")]
    [InlineData("charlstm.hidden_size", "0", "outside 1..16384")]
    [InlineData("charlstm.hidden_size", "99999999999", "not an integer")]
    [InlineData("charlstm.layers", "9", "outside 1..8")]
    [InlineData("charlstm.embedding_size", "-5", "outside 0..65536")]
    [InlineData("charlstm.vocab_size", "0", "outside 1..")]
    [InlineData("charlstm.dropout", "1.5", "not a number in [0, 1)")]
    [InlineData("charlstm.dropout", "NaN", "not a number in [0, 1)")]
    [InlineData("charlstm.gate_order", "iofg", "'ifgo'")]
    public void Bad_hyperparameter_is_bad_metadata_naming_the_key(string key, string value, string problem)
    {
        var (tensors, meta) = Valid();
        meta[key] = value;
        var e = Fails(tensors, meta, ModelFormatError.BadMetadata, problem);
        if (key != "charlstm.gate_order") Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_hyperparameter_is_bad_metadata_naming_the_key()
    {
        var (tensors, meta) = Valid();
        meta.Remove("charlstm.layers");
        Fails(tensors, meta, ModelFormatError.BadMetadata, "'charlstm.layers' is missing");
    }

    [Fact]
    public void Training_summary_not_an_object_is_bad_metadata()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.training"] = "[1,2";
        Fails(tensors, meta, ModelFormatError.BadMetadata, "'charlstm.training'");
        meta["charlstm.training"] = "[1,2]";
        Fails(tensors, meta, ModelFormatError.BadMetadata, "'charlstm.training'");
    }

    // ---- round trips ----

    [Theory]
    [InlineData(5, 2)]
    [InlineData(0, 1)]
    public void Save_then_load_gives_identical_model(int embedding, int layers)
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "model.safetensors");
        var model = NewModel(VocabularyText, embedding, hidden: 9, layers);
        ModelFile.Save(path, model);
        var loaded = ModelFile.Load(path);

        Assert.Equal(model.Network.Config, loaded.Network.Config);
        Assert.Equal(model.Vocabulary.ToStrings(), loaded.Vocabulary.ToStrings());
        Assert.Contains("🙂", loaded.Vocabulary.ToStrings());
        Assert.Equal(model.Network.Parameters.Select(BitConverter.SingleToInt32Bits), loaded.Network.Parameters.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(model.Summary, loaded.Summary);
        Assert.Equal(File.ReadAllBytes(path), Bytes(loaded)); // nothing is lost or reordered
        Assert.Equal([path], Directory.GetFiles(folder.Path)); // no temporary left behind
    }

    [Fact]
    public void Save_then_load_keeps_a_missing_summary_and_a_na_n_best_loss()
    {
        var model = NewModel(VocabularyText) with { Summary = null };
        Assert.Null(LoadModel(Bytes(model)).Summary);
        model = model with { Summary = NewModel(VocabularyText).Summary! with { BestValidationLoss = double.NaN } };
        Assert.True(double.IsNaN(LoadModel(Bytes(model)).Summary!.BestValidationLoss));
    }

    [Fact]
    public void Checkpoint_save_then_load_gives_identical_checkpoint()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "last.checkpoint.safetensors");
        var cp = Checkpoint(steps: 5);
        CheckpointFile.Save(cp, path);
        var loaded = CheckpointFile.Load(path);

        Assert.Equal(CheckpointFile.SerializeOptions(cp.Options), CheckpointFile.SerializeOptions(loaded.Options));
        Assert.Equal(cp.Config, loaded.Config);
        Assert.Equal(cp.Parameters, loaded.Parameters);
        Assert.Equal(cp.Vocabulary, loaded.Vocabulary);
        Assert.Contains("🙂", loaded.Vocabulary);
        Assert.Equal((cp.CorpusName, cp.CorpusSha256, cp.OptimizerName, cp.OptimizerSteps), (loaded.CorpusName, loaded.CorpusSha256, loaded.OptimizerName, loaded.OptimizerSteps));
        Assert.Equal(cp.OptimizerBuffers.Keys.Order(), loaded.OptimizerBuffers.Keys.Order());
        foreach (var (name, buffer) in cp.OptimizerBuffers) Assert.Equal(buffer, loaded.OptimizerBuffers[name]);
        Assert.Equal(cp.RngState, loaded.RngState);
        Assert.Equal((cp.Epoch, cp.BatchIndex, cp.Step, cp.CharactersSeen, cp.SkippedSteps, cp.ConsecutiveSkipped),
            (loaded.Epoch, loaded.BatchIndex, loaded.Step, loaded.CharactersSeen, loaded.SkippedSteps, loaded.ConsecutiveSkipped));
        Assert.Equal(cp.StateH, loaded.StateH);
        Assert.Equal(cp.StateC, loaded.StateC);
        Assert.Equal(cp.BestValidationLoss, loaded.BestValidationLoss);
        Assert.Equal(cp.ElapsedSeconds, loaded.ElapsedSeconds);
        Assert.Equal(cp.Metrics, loaded.Metrics);
        Assert.NotEmpty(loaded.Metrics);
    }

    [Fact]
    public void Model_file_given_as_checkpoint_is_unknown_format()
    {
        var e = Assert.Throws<ModelFormatException>(() => LoadCheckpoint(Bytes(NewModel(VocabularyText))));
        Assert.Equal(ModelFormatError.UnknownFormat, e.Error);
        Assert.Contains($"'{ModelFile.FormatName}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_with_foreign_tensor_is_unexpected_tensor()
    {
        var (tensors, meta) = CheckpointFile.Contents(Checkpoint());
        tensors.Add(new TensorEntry("extra", [1], [0f]));
        var e = Assert.Throws<ModelFormatException>(() => LoadCheckpoint(Bytes(tensors, meta)));
        Assert.Equal(ModelFormatError.UnexpectedTensor, e.Error);
        Assert.Contains("'extra'", e.Message, StringComparison.Ordinal);
    }
}
