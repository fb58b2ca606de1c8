using System.Text.Json;
using CharLstm.Model;

namespace CharLstm.Tests.Support;

/// <summary>A golden fixture written by tools/reference/make_reference.py (PyTorch, float64).</summary>
internal sealed class Fixture
{
    private readonly JsonElement _root;

    private Fixture(string name, JsonElement root)
    {
        Name = name;
        _root = root;
        var c = root.GetProperty("config");
        Config = new ModelConfig(c.GetProperty("vocab").GetInt32(), c.GetProperty("embedding").GetInt32(),
            c.GetProperty("hidden").GetInt32(), c.GetProperty("layers").GetInt32());
        Batch = c.GetProperty("batch").GetInt32();
        SeqLen = c.GetProperty("seq").GetInt32();
        Inputs = root.GetProperty("inputs").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Targets = root.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Loss = root.GetProperty("loss").GetDouble();
    }

    public static readonly string[] Names = ["onehot_1layer", "embed_2layer", "embed_3layer_wide"];

    public static Fixture Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new Fixture(name, doc.RootElement.Clone());
    }

    public string Name { get; }
    public ModelConfig Config { get; }
    public int Batch { get; }
    public int SeqLen { get; }
    public int[] Inputs { get; }
    public int[] Targets { get; }
    public double Loss { get; }

    public double[] Tensor(string name) => Data(_root.GetProperty("tensors").GetProperty(name));

    public JsonElement Train(string optimizer) => _root.GetProperty("train").GetProperty(optimizer);

    public static double[] Data(JsonElement tensor) => tensor.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    /// <summary>A model holding the fixture's parameters.</summary>
    public LstmModel Model()
    {
        var model = new LstmModel(Config);
        foreach (var t in model.Layout.Tensors)
        {
            var data = Tensor(t.Name);
            Assert.Equal(t.Length, data.Length);
            for (int i = 0; i < data.Length; i++) model.Parameters[t.Offset + i] = (float)data[i];
        }
        return model;
    }

    /// <summary>The fixture's initial state.</summary>
    public LstmState State()
    {
        var s = new LstmState(Config, Batch);
        var h = Tensor("h0"); var c = Tensor("c0");
        for (int i = 0; i < h.Length; i++) { s.H[i] = (float)h[i]; s.C[i] = (float)c[i]; }
        return s;
    }
}

internal static class Compare
{
    /// <summary>max |ours − ref| / max |ref|: the error measure the issue names.</summary>
    public static double RelativeMaxError(ReadOnlySpan<float> ours, ReadOnlySpan<double> reference)
    {
        Assert.Equal(reference.Length, ours.Length);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - reference[i]));
            maxRef = Math.Max(maxRef, Math.Abs(reference[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
