using System.Buffers.Binary;
using System.Text.Json;
using CharLstm.IO;
using CharLstm.Tests.Data;
using static CharLstm.Tests.IO.TinyRuns;

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
    public void MissingTensor_IsNamed()
    {
        var (tensors, meta) = Valid();
        tensors.RemoveAll(t => t.Name == "lstm.bias_hh_l1");
        Fails(tensors, meta, ModelFormatError.MissingTensor, "'lstm.bias_hh_l1'");
    }

    [Fact]
    public void UnexpectedTensor_IsNamed()
    {
        var (tensors, meta) = Valid();
        tensors.Add(new TensorEntry("lstm.weight_ih_l2", [48, 12], new float[48 * 12]));
        Fails(tensors, meta, ModelFormatError.UnexpectedTensor, "'lstm.weight_ih_l2'");
    }

    [Fact]
    public void FewerLayersThanTensors_ReportsTheUnusedLayer()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.layers"] = "1";
        Fails(tensors, meta, ModelFormatError.UnexpectedTensor, "'lstm.weight_ih_l1'");
    }

    [Fact]
    public void HiddenSizeInconsistentWithShapes_IsShapeMismatch()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.hidden_size"] = "7";
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l0'", "[48, 5]", "[28, 5]");
    }

    [Fact]
    public void EmbeddingSizeInconsistentWithShapes_IsShapeMismatch()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.embedding_size"] = "6";
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'embedding.weight'");
    }

    [Fact]
    public void TransposedTensor_IsShapeMismatch()
    {
        var (tensors, meta) = Valid();
        int i = tensors.FindIndex(t => t.Name == "lstm.weight_hh_l0");
        tensors[i] = tensors[i] with { Shape = [12, 48] };
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_hh_l0'", "[12, 48]", "[48, 12]");
    }

    [Fact]
    public void HugeHyperparameters_AreRejectedBeforeAllocating()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.hidden_size"] = "8000"; // 4·8000·8000 floats per matrix: gigabytes the file does not hold
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l0'");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the loader allocated by the claimed size");
    }

    [Fact]
    public void HyperparametersBeyondAnyFile_AreBadMetadataNotOverflow()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.embedding_size"] = "65536";
        meta["charlstm.hidden_size"] = "16384";
        meta["charlstm.layers"] = "8";
        Fails(tensors, meta, ModelFormatError.BadMetadata, "parameters");
    }

    // ---- vocabulary ----

    [Fact]
    public void VocabularyLargerThanEmbedding_IsVocabularyMismatch()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<List<string>>(meta["charlstm.vocabulary"])!;
        entries.Add("🙃"); // after every entry, so the list stays sorted
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        meta["charlstm.vocab_size"] = entries.Count.ToString();
        Fails(tensors, meta, ModelFormatError.VocabularyMismatch, "'embedding.weight'", "vocabulary");
    }

    [Fact]
    public void VocabularyNotMatchingHead_IsVocabularyMismatch()
    {
        var (tensors, meta) = Valid();
        int v = int.Parse(meta["charlstm.vocab_size"]);
        int w = tensors.FindIndex(t => t.Name == "head.weight");
        tensors[w] = Resized(tensors[w], v - 1, 12);
        tensors[w + 1] = Resized(tensors[w + 1], v - 1);
        Fails(tensors, meta, ModelFormatError.VocabularyMismatch, "'head.weight'", $"{v - 1} rows", $"{v} characters");
    }

    [Fact]
    public void VocabularyNotMatchingOneHotInput_IsShapeMismatch()
    {
        var (tensors, meta) = Valid(embedding: 0);
        var entries = JsonSerializer.Deserialize<List<string>>(meta["charlstm.vocabulary"])!;
        entries.Add("🙃"); // after every entry, so the list stays sorted
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        meta["charlstm.vocab_size"] = entries.Count.ToString();
        Fails(tensors, meta, ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l0'");
    }

    [Fact]
    public void VocabularyLengthNotMatchingVocabSize_IsVocabularyMismatch()
    {
        var (tensors, meta) = Valid();
        meta["charlstm.vocab_size"] = "99";
        Fails(tensors, meta, ModelFormatError.VocabularyMismatch, "'charlstm.vocab_size' says 99");
    }

    [Fact]
    public void DuplicateVocabularyEntry_IsBadVocabulary()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<string[]>(meta["charlstm.vocabulary"])!;
        entries[3] = entries[2];
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "entry 3", "repeats entry 2");
    }

    [Fact]
    public void MultiCharacterVocabularyEntry_IsBadVocabulary()
    {
        var (tensors, meta) = Valid();
        var entries = JsonSerializer.Deserialize<string[]>(meta["charlstm.vocabulary"])!;
        entries[^1] = "zz";
        meta["charlstm.vocabulary"] = JsonSerializer.Serialize(entries);
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "has 2 characters", "exactly one");
    }

    [Fact]
    public void EmptyAndLoneSurrogateVocabularyEntries_AreBadVocabulary()
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
    public void VocabularyNotAJsonArrayOfStrings_IsBadVocabulary()
    {
        var (tensors, meta) = Valid();
        foreach (string bad in new[] { "abc", "{\"a\":1}", "[1,2]", "[\"a\",null]", "null", "" })
        {
            meta["charlstm.vocabulary"] = bad;
            Fails(tensors, meta, ModelFormatError.BadVocabulary, "vocabulary");
        }
        meta.Remove("charlstm.vocabulary");
        Fails(tensors, meta, ModelFormatError.BadVocabulary, "no vocabulary");
    }

    // ---- values ----

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void NonFiniteWeight_IsNamedWithItsTensor(float value, string spelled)
    {
        var (tensors, meta) = Valid();
        byte[] file = Bytes(tensors, meta);
        // head.bias is the last tensor: its last element is the file's last four bytes.
        BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(file.Length - 4), value);
        Fails(file, ModelFormatError.NonFiniteValue, "'head.bias'", spelled);
    }

    // ---- format ----

    [Fact]
    public void UnknownFormatName_IsNamed()
    {
        var (tensors, meta) = Valid();
        meta["format"] = "gguf.llama";
        Fails(tensors, meta, ModelFormatError.UnknownFormat, "'gguf.llama'", $"'{ModelFile.FormatName}'");
        meta.Remove("format");
        Fails(tensors, meta, ModelFormatError.UnknownFormat, "not a CharLstm file");
    }

    [Fact]
    public void CheckpointGivenAsModel_SaysToPassTheModelFile()
    {
        Fails(Bytes(Checkpoint()), ModelFormatError.UnknownFormat, "training checkpoint", "best.safetensors");
    }

    [Fact]
    public void NewerFormatVersion_SaysToUpdate()
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
    public void MalformedFormatVersion_IsBadMetadata(string version, string mention)
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
    public void BadHyperparameter_IsBadMetadataNamingTheKey(string key, string value, string problem)
    {
        var (tensors, meta) = Valid();
        meta[key] = value;
        var e = Fails(tensors, meta, ModelFormatError.BadMetadata, problem);
        if (key != "charlstm.gate_order") Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingHyperparameter_IsBadMetadataNamingTheKey()
    {
        var (tensors, meta) = Valid();
        meta.Remove("charlstm.layers");
        Fails(tensors, meta, ModelFormatError.BadMetadata, "'charlstm.layers' is missing");
    }

    [Fact]
    public void TrainingSummaryNotAnObject_IsBadMetadata()
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
    public void SaveThenLoad_GivesIdenticalModel(int embedding, int layers)
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
    public void SaveThenLoad_KeepsAMissingSummaryAndANaNBestLoss()
    {
        var model = NewModel(VocabularyText) with { Summary = null };
        Assert.Null(LoadModel(Bytes(model)).Summary);
        model = model with { Summary = NewModel(VocabularyText).Summary! with { BestValidationLoss = double.NaN } };
        Assert.True(double.IsNaN(LoadModel(Bytes(model)).Summary!.BestValidationLoss));
    }

    [Fact]
    public void CheckpointSaveThenLoad_GivesIdenticalCheckpoint()
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
    public void ModelFileGivenAsCheckpoint_IsUnknownFormat()
    {
        var e = Assert.Throws<ModelFormatException>(() => LoadCheckpoint(Bytes(NewModel(VocabularyText))));
        Assert.Equal(ModelFormatError.UnknownFormat, e.Error);
        Assert.Contains($"'{ModelFile.FormatName}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckpointWithForeignTensor_IsUnexpectedTensor()
    {
        var (tensors, meta) = CheckpointFile.Contents(Checkpoint());
        tensors.Add(new TensorEntry("extra", [1], [0f]));
        var e = Assert.Throws<ModelFormatException>(() => LoadCheckpoint(Bytes(tensors, meta)));
        Assert.Equal(ModelFormatError.UnexpectedTensor, e.Error);
        Assert.Contains("'extra'", e.Message, StringComparison.Ordinal);
    }
}
