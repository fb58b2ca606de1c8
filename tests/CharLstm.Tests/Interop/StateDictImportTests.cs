using System.Text;
using CharLstm.Interop;
using CharLstm.IO;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.Interop;

/// <summary>
/// <see cref="StateDictImport"/> and <see cref="VocabularyFile"/>: a plain state_dict (a model file's tensors with no
/// metadata) and a vocab.json come back as the same model, its shape read from the tensors; every way the two files
/// can be wrong is refused with its error kind and a message naming the tensor, entry or file.
/// </summary>
public sealed class StateDictImportTests : IDisposable
{
    private const string Text = "the cat sat on a mat.\nwörld 🙂 ran";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    // The model's tensors as a state_dict, and its vocabulary as a vocab.json list.
    private static (List<TensorEntry> Tensors, string[] Vocabulary, ModelFileContents Model) StateDict(int embedding = 5, int layers = 2)
    {
        var model = NewModel(Text, embedding: embedding, layers: layers);
        return (ModelFile.Contents(model).Tensors, model.Vocabulary.ToStrings(), model);
    }

    private string WriteState(IReadOnlyList<TensorEntry> tensors, string name = "state.safetensors") =>
        _folder.Write(name, Bytes([.. tensors], []));

    private string WriteVocab(string json, string name = "vocab.json") => _folder.Write(name, json);

    private static string ListJson(IEnumerable<string> entries) => System.Text.Json.JsonSerializer.Serialize(entries);

    private ModelFormatException Fails(IReadOnlyList<TensorEntry> tensors, string vocabJson, ModelFormatError error, params string[] named)
    {
        var e = Assert.Throws<ModelFormatException>(() => StateDictImport.Import(WriteState(tensors), WriteVocab(vocabJson)));
        Assert.True(e.Error == error, $"{e.Error}, expected {error}: {e.Message}");
        foreach (string part in named) Assert.Contains(part, e.Message);
        return e;
    }

    [Theory]
    [InlineData(5, 2)]
    [InlineData(0, 1)] // one-hot input: no embedding.weight, the first layer's input is vocabulary-wide
    [InlineData(3, 3)]
    public void A_state_dict_comes_back_as_the_same_model(int embedding, int layers)
    {
        var (tensors, vocabulary, model) = StateDict(embedding, layers);
        var imported = StateDictImport.Import(WriteState(tensors), WriteVocab(ListJson(vocabulary)), dropout: 0.25f);

        Assert.False(imported.Reordered);
        Assert.Equal(model.Network.Config with { Dropout = 0.25f }, imported.Contents.Network.Config);
        Assert.Equal(vocabulary, imported.Contents.Vocabulary.ToStrings());
        Assert.Equal(model.Network.Parameters, imported.Contents.Network.Parameters); // bit for bit
    }

    [Theory]
    [InlineData(5)]
    [InlineData(0)]
    public void A_vocabulary_in_another_order_is_sorted_and_the_model_scores_the_same(int embedding)
    {
        var (tensors, vocabulary, model) = StateDict(embedding);
        // Reverse the ids: character id i becomes id V-1-i, in the vocabulary and in every tensor indexed by character.
        int v = vocabulary.Length;
        var permuted = tensors.Select(t => t.Name switch
        {
            "embedding.weight" or "head.weight" or "head.bias" => t with { Data = ReverseRows(t.Data, v) },
            "lstm.weight_ih_l0" when embedding == 0 => t with { Data = ReverseColumns(t.Data, v) },
            _ => t,
        }).ToList();
        string keras = "{" + string.Join(", ", vocabulary.Reverse().Select((c, id) => $"{ListJson([c])[1..^1]}: {id}")) + "}";

        var imported = StateDictImport.Import(WriteState(permuted), WriteVocab(keras));

        Assert.True(imported.Reordered);
        Assert.Equal(vocabulary, imported.Contents.Vocabulary.ToStrings());
        Assert.Equal(model.Network.Parameters, imported.Contents.Network.Parameters);
        double original = new CharLanguageModel(model.Network, model.Vocabulary).Evaluate(Text).Loss.MeanNats;
        double back = new CharLanguageModel(imported.Contents.Network, imported.Contents.Vocabulary).Evaluate(Text).Loss.MeanNats;
        Assert.Equal(original, back);
    }

    private static float[] ReverseRows(float[] data, int rows)
    {
        int width = data.Length / rows;
        var result = new float[data.Length];
        for (int r = 0; r < rows; r++) Array.Copy(data, r * width, result, (rows - 1 - r) * width, width);
        return result;
    }

    private static float[] ReverseColumns(float[] data, int columns)
    {
        var result = new float[data.Length];
        for (int i = 0; i < data.Length; i++) result[i - i % columns + columns - 1 - i % columns] = data[i];
        return result;
    }

    // ---- the tensors ----

    [Fact]
    public void A_missing_tensor_is_named_with_its_expected_shape()
    {
        var (tensors, vocabulary, _) = StateDict();
        tensors.RemoveAll(t => t.Name == "lstm.bias_hh_l1");
        Fails(tensors, ListJson(vocabulary), ModelFormatError.MissingTensor, "'lstm.bias_hh_l1'", "[48]", "2 LSTM layers of 12 units");
    }

    [Fact]
    public void Without_the_recurrent_weights_of_layer_0_the_hidden_size_is_unknown_and_that_is_said()
    {
        var (tensors, vocabulary, _) = StateDict();
        tensors.RemoveAll(t => t.Name == "lstm.weight_hh_l0");
        Fails(tensors, ListJson(vocabulary), ModelFormatError.MissingTensor, "'lstm.weight_hh_l0'", "[4·hidden, hidden]", "'head.bias'");
    }

    [Fact]
    public void An_extra_tensor_is_named()
    {
        var (tensors, vocabulary, _) = StateDict();
        tensors.Add(new TensorEntry("decoder.scale", [1], [1f]));
        Fails(tensors, ListJson(vocabulary), ModelFormatError.UnexpectedTensor, "'decoder.scale'", "Keep only the embedding, LSTM and head");
    }

    [Fact]
    public void A_bidirectional_lstm_is_named_as_such()
    {
        var (tensors, vocabulary, _) = StateDict();
        tensors.Add(new TensorEntry("lstm.weight_hh_l0_reverse", [48, 12], new float[48 * 12]));
        Fails(tensors, ListJson(vocabulary), ModelFormatError.UnexpectedTensor, "'lstm.weight_hh_l0_reverse'", "bidirectional");
    }

    [Fact]
    public void A_mis_shaped_tensor_is_named_with_both_shapes()
    {
        var (tensors, vocabulary, _) = StateDict();
        int i = tensors.FindIndex(t => t.Name == "lstm.weight_ih_l1");
        tensors[i] = tensors[i] with { Shape = [12, 48] }; // transposed
        Fails(tensors, ListJson(vocabulary), ModelFormatError.ShapeMismatch, "'lstm.weight_ih_l1'", "[12, 48]", "expected [48, 12]");
    }

    [Fact]
    public void Recurrent_weights_that_are_not_four_gates_are_refused()
    {
        var (tensors, vocabulary, _) = StateDict();
        int i = tensors.FindIndex(t => t.Name == "lstm.weight_hh_l0");
        tensors[i] = tensors[i] with { Shape = [36, 16] };
        Fails(tensors, ListJson(vocabulary), ModelFormatError.ShapeMismatch, "'lstm.weight_hh_l0'", "[36, 16]", "[4·hidden, hidden]");
    }

    [Fact]
    public void A_layer_beyond_the_eighth_is_refused()
    {
        var (tensors, vocabulary, _) = StateDict();
        tensors.Add(new TensorEntry("lstm.bias_ih_l8", [48], new float[48]));
        Fails(tensors, ListJson(vocabulary), ModelFormatError.UnexpectedTensor, "'lstm.bias_ih_l8'", "1 to 8 layers");
    }

    [Fact]
    public void A_module_prefix_is_named_with_the_fix()
    {
        var (tensors, vocabulary, _) = StateDict();
        Fails(tensors.Select(t => t with { Name = "module." + t.Name }).ToList(), ListJson(vocabulary), ModelFormatError.MissingTensor,
            "'module.lstm.weight_hh_l0'", "model.module.state_dict()");
    }

    [Fact]
    public void A_non_float32_dtype_is_refused_with_the_conversion_to_make()
    {
        string header = """{"head.bias":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""";
        string state = _folder.Write("half.safetensors", IO.SafeTensorsTestFiles.Build(header, new byte[4]));
        var e = Assert.Throws<ModelFormatException>(() => StateDictImport.Import(state, WriteVocab("""["a", "b"]""")));
        Assert.Equal(ModelFormatError.UnsupportedDtype, e.Error);
        Assert.Contains("State dict '", e.Message);
        Assert.Contains("F16", e.Message);
        Assert.Contains("v.float()", e.Message);
    }

    [Fact]
    public void A_torch_save_file_is_named_and_the_conversion_given()
    {
        string state = _folder.Write("model.pt", [0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
        var e = Assert.Throws<ModelFormatException>(() => StateDictImport.Import(state, WriteVocab("""["a"]""")));
        Assert.Equal(ModelFormatError.NotSafeTensors, e.Error);
        Assert.Contains("torch.save", e.Message);
        Assert.Contains("tools/torch_interop.py save", e.Message);
    }

    // ---- the vocabulary against the tensors ----

    [Fact]
    public void A_vocabulary_of_another_size_is_named_with_both_sizes()
    {
        var (tensors, vocabulary, _) = StateDict();
        var e = Fails(tensors, ListJson(vocabulary.Skip(1)), ModelFormatError.VocabularyMismatch, $"{vocabulary.Length} characters",
            $"has {vocabulary.Length - 1}", "'head.weight'");
        Assert.Contains("vocab.json", e.Message);
    }

    // ---- the vocab.json itself ----

    [Theory]
    [InlineData("""["a", "bc"]""", "entry 1, \"bc\", that has 2 characters")]
    [InlineData("""["a", ""]""", "entry 1, \"\", that is empty")]
    [InlineData("""["a", "\ud800"]""", "lone UTF-16 surrogate")]
    [InlineData("""["a", "b", "a"]""", "entry 2, 'a' (U+0061), that repeats entry 0")]
    [InlineData("""["a", 7]""", "entry 1 that is a JSON number")]
    [InlineData("""[]""", "is empty")]
    [InlineData("""{"a": 0, "b": 2}""", "maps \"b\" to id 2, outside 0 to 1")]
    [InlineData("""{"a": 0, "b": 0}""", "gives id 0 to both \"a\" and \"b\"")]
    [InlineData("""{"a": 0, "a": 1}""", "has the key \"a\" twice")]
    [InlineData("""{"a": "0"}""", "maps \"a\" to \"0\", not a whole-number id")]
    [InlineData("""{"a": 0.5}""", "not a whole-number id")]
    [InlineData("\"abc\"", "is a JSON string")]
    [InlineData("[\"a\",", "is not valid JSON")]
    public void A_bad_vocabulary_file_is_refused_naming_the_entry(string json, string named)
    {
        string path = WriteVocab(json);
        var e = Assert.Throws<ModelFormatException>(() => VocabularyFile.Read(path));
        Assert.Equal(ModelFormatError.BadVocabulary, e.Error);
        Assert.Contains($"Vocabulary file '{path}'", e.Message);
        Assert.Contains(named, e.Message);
        Assert.Contains("A vocab.json is a JSON list of one-character strings", e.Message);
    }

    [Fact]
    public void A_missing_vocabulary_file_is_an_io_error_naming_it()
    {
        string path = Path.Combine(_folder.Path, "nope.json");
        var e = Assert.Throws<ModelFormatException>(() => VocabularyFile.Read(path));
        Assert.Equal(ModelFormatError.Io, e.Error);
        Assert.Contains("nope.json", e.Message);
    }

    [Fact]
    public void A_vocabulary_list_and_object_with_a_bom_read_alike()
    {
        string list = WriteVocab("\uFEFF[\"\\n\", \" \", \"🙂\"]", "list.json");
        string map = WriteVocab("{\"🙂\": 2, \"\\n\": 0, \" \": 1}", "map.json");
        Assert.Equal(["\n", " ", "🙂"], VocabularyFile.Read(list));
        Assert.Equal(["\n", " ", "🙂"], VocabularyFile.Read(map));
        Assert.Equal(Encoding.UTF8.GetPreamble(), File.ReadAllBytes(list)[..3]); // the file did start with a BOM
    }
}
