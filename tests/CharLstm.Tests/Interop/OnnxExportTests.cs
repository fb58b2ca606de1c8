using System.Diagnostics;
using System.Globalization;
using CharLstm.Data;
using CharLstm.Interop;
using CharLstm.IO;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;
using Microsoft.ML.OnnxRuntime;
using EngineSession = CharLstm.Model.InferenceSession;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace CharLstm.Tests.Interop;

/// <summary>
/// The exported ONNX graphs run in ONNX Runtime and give the engine's logits and final states (within 1e-4), from a
/// random non-zero state, for one to three layers, one-hot and embedding input, one and fifty steps, one and four streams;
/// ONNX's own checker accepts them; and their metadata is the model file's.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const float Tolerance = 1e-4f;

    public static TheoryData<int, int, int, int, OnnxGraph> Shapes()
    {
        var data = new TheoryData<int, int, int, int, OnnxGraph>();
        for (int layers = 1; layers <= 3; layers++)
            foreach (int embedding in new[] { 0, 7 })
                foreach (int batch in new[] { 1, 4 })
                {
                    data.Add(layers, embedding, 1, batch, OnnxGraph.Sequence);
                    data.Add(layers, embedding, 50, batch, OnnxGraph.Sequence);
                    data.Add(layers, embedding, 1, batch, OnnxGraph.Step);
                }
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Onnx_runtime_gives_the_engines_logits_and_final_state(int layers, int embedding, int steps, int batch, OnnxGraph graph)
    {
        var model = Model(layers, embedding, seed: (ulong)(layers * 10 + embedding));
        var c = model.Network.Config;
        var ids = TinyModels.Tokens(steps * batch, c.VocabSize, 5); // time first: ids[t * B + b]
        var start = TinyModels.RandomState(c, batch, 6);
        Assert.Contains(start.H, x => x != 0);

        var (logits, final) = Engine(model.Network, ids, steps, batch, start);
        using var session = new OrtSession(OnnxExport.ToBytes(model, graph));
        var (ortLogits, ortH, ortC) = Run(session, ids, steps, batch, start);

        float dLogits = MaxDifference(logits, ortLogits), dH = MaxDifference(final.H, ortH), dC = MaxDifference(final.C, ortC);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{graph}, {layers} layer(s), {(embedding == 0 ? "one-hot" : "embedding")}, T={steps}, B={batch}: "
            + $"max |Δ| logits {dLogits:E2}, hN {dH:E2}, cN {dC:E2}"));
        Assert.True(dLogits <= Tolerance, $"logits differ by {dLogits}");
        Assert.True(dH <= Tolerance, $"hN differs by {dH}");
        Assert.True(dC <= Tolerance, $"cN differs by {dC}");
    }

    [Fact]
    public void The_step_graph_generates_what_the_library_generates_with_the_same_seed()
    {
        string text = TinyRuns.Text(400, 3);
        var lm = new CharLanguageModel(TinyRuns.NewModel(text, embedding: 6, hidden: 20, layers: 2).Network, Vocabulary.Build(TextScalars.FromString(text)));
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "step.onnx");
        OnnxExport.Save(path, lm.FileContents, OnnxGraph.Step);
        foreach (var sampling in new SamplingOptions[] { new(), new(Temperature: 0.7f, TopK: 5), new(Temperature: 1.3f, TopP: 0.9f), new(Temperature: 0) })
        {
            string expected = string.Concat(lm.Generate(new GenerationOptions { Prompt = "the cat", Length = 120, Seed = 11, Sampling = sampling }));
            string actual = OnnxGeneration.Generate(path, "the cat", 120, 11, sampling);
            output.WriteLine($"{sampling}: {actual.ReplaceLineEndings("⏎")}");
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(0, OnnxGraph.Sequence)]
    [InlineData(0, OnnxGraph.Step)]
    [InlineData(9, OnnxGraph.Sequence)]
    [InlineData(9, OnnxGraph.Step)]
    public async Task Onnx_checker_accepts_the_graph_with_full_check(int embedding, OnnxGraph graph)
    {
        Requires.Onnx();
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "model.onnx");
        OnnxExport.Save(path, Model(layers: 2, embedding, seed: 4), graph);
        const string Script = """
            import sys, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            print("onnx", onnx.__version__, "accepts", sys.argv[1].rsplit("/", 1)[-1], "ir", m.ir_version,
                  "opset", [(o.domain or "ai.onnx", o.version) for o in m.opset_import],
                  "nodes", [n.op_type for n in m.graph.node])
            """;
        var start = new ProcessStartInfo(Requires.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-c", Script, path }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        Task<string> stdoutTask = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken),
            stderrTask = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            await process.WaitForExitAsync(timeout.Token);
        string stdout = await stdoutTask, stderr = await stderrTask;
        output.WriteLine(stdout + stderr);
        Assert.True(process.ExitCode == 0, $"onnx.checker refused the {graph} graph:\n{stderr}");
    }

    [Fact]
    public void Metadata_props_hold_the_model_files_metadata_and_name_the_graph()
    {
        var model = Model(layers: 2, embedding: 0, seed: 8) with
        {
            TextOptions = new CorpusOptions { Lowercase = true, NormalizeNewlines = true },
            Summary = new TrainingSummary("tiny.txt", new string('b', 64), 1000, 20, 1.5, new DateTimeOffset(2025, 6, 7, 8, 9, 10, TimeSpan.Zero), "0.1.0"),
        };
        using var session = new OrtSession(OnnxExport.ToBytes(model, OnnxGraph.Step));
        var props = session.ModelMetadata.CustomMetadataMap;
        var expected = ModelFile.Metadata(model);
        expected[OnnxExport.GraphKey] = "step";
        Assert.Equal(expected.OrderBy(e => e.Key), props.OrderBy(e => e.Key));
        Assert.Equal("charlstm", session.ModelMetadata.ProducerName);
        Assert.Equal("charlstm_step", session.ModelMetadata.GraphName);

        // The model file's own reader takes the ONNX metadata: the same shape and vocabulary come back.
        var (config, vocabulary) = ModelFile.ReadConfig(props, "'model.onnx'");
        Assert.Equal(model.Network.Config, config);
        Assert.Equal(model.Vocabulary.ToStrings(), vocabulary.ToStrings());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void The_graph_is_a_gather_one_lstm_node_per_layer_and_a_matmul_head(int embedding)
    {
        var model = Model(layers: 3, embedding, seed: 2);
        var proto = OnnxExport.Build(model, OnnxGraph.Sequence);
        Assert.Equal(OnnxExport.IrVersion, proto.IrVersion);
        Assert.Equal(OnnxExport.Opset, Assert.Single(proto.OpsetImport).Version);
        var ops = proto.Graph.Node.Select(n => n.OpType).ToList();
        output.WriteLine(string.Join(", ", ops));
        Assert.Equal(1, ops.Count(o => o == "Gather"));
        Assert.Equal(3, ops.Count(o => o == "LSTM"));
        Assert.Equal(1, ops.Count(o => o == "MatMul"));
        Assert.Equal(1, ops.Count(o => o == "Add"));
        Assert.DoesNotContain("OneHot", ops);
        int h = model.Network.Config.HiddenSize, v = model.Network.Config.VocabSize;
        // One-hot: the gathered rows are the V × V identity's, made in the graph (EyeLike) rather than stored.
        Assert.Equal(embedding == 0, proto.Graph.Node.Any(n => n.OpType == "EyeLike"));
        Assert.Equal(embedding != 0, proto.Graph.Initializer.Any(t => t.Name == "embedding.weight"));
        if (embedding != 0) Assert.Equal([v, embedding], proto.Graph.Initializer.Single(t => t.Name == "embedding.weight").Dims);
        // Every layer's W is W_ih, [1, 4H, input]: the one-hot model's first has V columns.
        Assert.Equal([1, 4 * h, embedding == 0 ? v : embedding], proto.Graph.Initializer.Single(t => t.Name == "lstm.W_l0").Dims);
        Assert.Equal(["T", "B"], proto.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        var step = OnnxExport.Build(model, OnnxGraph.Step);
        Assert.Equal(1, step.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue);
        Assert.Equal(1, step.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimValue);
    }

    [Fact]
    public void Gate_rows_go_from_PyTorchs_i_f_g_o_to_ONNXs_i_o_f_c()
    {
        // Two units, three columns: every row holds its gate's number (i 1, f 2, g 3, o 4) times 10 plus its row.
        float[] rows = new float[4 * 2 * 3];
        for (int gate = 0; gate < 4; gate++)
            for (int unit = 0; unit < 2; unit++)
                for (int col = 0; col < 3; col++) rows[(gate * 2 + unit) * 3 + col] = (gate + 1) * 10 + unit;
        var reordered = OnnxExport.Reorder(rows, hidden: 2, cols: 3);
        Assert.Equal(new float[] { 10, 10, 10, 11, 11, 11, 40, 40, 40, 41, 41, 41, 20, 20, 20, 21, 21, 21, 30, 30, 30, 31, 31, 31 }, reordered);
    }

    [Fact]
    public void The_step_graph_refuses_more_than_one_step()
    {
        var model = Model(layers: 1, embedding: 0, seed: 1);
        using var session = new OrtSession(OnnxExport.ToBytes(model, OnnxGraph.Step));
        var start = new LstmState(model.Network.Config, 1);
        Assert.Throws<OnnxRuntimeException>(() => Run(session, [1, 2], steps: 2, batch: 1, start));
    }

    /// <summary>A random model whose vocabulary (13 characters) is that of a short text; H = 24 is not a multiple of the engine's 16-unit groups.</summary>
    private static ModelFileContents Model(int layers, int embedding, ulong seed)
    {
        var vocabulary = Vocabulary.Build(TextScalars.FromString("the cat sat, 🙂 wörld.\n"));
        var config = new ModelConfig(vocabulary.Size, embedding, HiddenSize: 24, layers);
        return new ModelFileContents(LstmModel.CreateInitialized(config, new Rng(seed), forgetBiasOne: true), vocabulary);
    }

    /// <summary>The generation session stepped <paramref name="steps"/> times from <paramref name="start"/>: logits [T, B, V] and the final state.</summary>
    private static (float[] Logits, LstmState Final) Engine(LstmModel network, int[] ids, int steps, int batch, LstmState start)
    {
        int v = network.Config.VocabSize;
        using var session = new EngineSession(new InferenceModel(network), batch);
        session.State.CopyFrom(start);
        var logits = new float[steps * batch * v];
        for (int t = 0; t < steps; t++) session.Step(ids.AsSpan(t * batch, batch)).CopyTo(logits.AsSpan(t * batch * v));
        return (logits, session.State);
    }

    /// <summary>One ONNX Runtime call of the graph: ids [T, B] and the state in, logits and the final state out.</summary>
    private static (float[] Logits, float[] H, float[] C) Run(OrtSession session, int[] ids, int steps, int batch, LstmState start)
    {
        long[] state = [start.Layers, batch, start.Hidden];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), [steps, batch]);
        using var h0 = OrtValue.CreateTensorValueFromMemory((float[])start.H.Clone(), state);
        using var c0 = OrtValue.CreateTensorValueFromMemory((float[])start.C.Clone(), state);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [OnnxExport.IdsInput, OnnxExport.HiddenInput, OnnxExport.CellInput], [idsValue, h0, c0],
            [OnnxExport.LogitsOutput, OnnxExport.HiddenOutput, OnnxExport.CellOutput]);
        return (results[0].GetTensorDataAsSpan<float>().ToArray(), results[1].GetTensorDataAsSpan<float>().ToArray(),
            results[2].GetTensorDataAsSpan<float>().ToArray());
    }

    private static float MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
