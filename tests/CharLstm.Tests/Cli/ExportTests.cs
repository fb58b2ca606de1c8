using System.Globalization;
using System.Text.RegularExpressions;
using CharLstm.Interop;
using CharLstm.Sampling;
using CharLstm.Tests.Interop;
using Microsoft.ML.OnnxRuntime;

namespace CharLstm.Tests.Cli;

/// <summary>
/// <c>charlstm export --format onnx</c> through the real tool: what it prints and writes, when it refuses to write, and
/// text generated through ONNX Runtime from the step graph it writes that is the text <c>charlstm generate</c> prints
/// with the same seed.
/// </summary>
public sealed partial class ExportTests(TrainedRunFixture run, ITestOutputHelper output) : IClassFixture<TrainedRunFixture>
{
    [Theory]
    [InlineData("sequence", "T")]
    [InlineData("step", "1")]
    public void Export_writes_the_graph_and_says_what_it_wrote(string graph, string time)
    {
        Assert.True(run.Train.ExitCode == 0, run.Train.All);
        string file = $"export-{graph}.onnx";
        var r = run.Cli.Run("export", run.RunFolder, "--format", "onnx", "--graph", graph, "-o", file);
        output.WriteLine(r.All);
        r.AssertNoStackTrace();
        Assert.True(r.ExitCode == 0, r.All);
        long bytes = new FileInfo(run.Cli.PathOf(file)).Length;
        var lm = CharLanguageModel.Load(Path.Combine(run.RunFolder, "best.safetensors"));
        var c = lm.Config;
        string[] lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Equal($"wrote {file}", lines[0]);
        Assert.Equal($"  format: ONNX, opset {OnnxExport.Opset} (IR version {OnnxExport.IrVersion})", lines[1]);
        Assert.Equal($"  graph:  {graph}: ids [{time}, B] int64, h0 and c0 [{c.Layers}, B, {c.HiddenSize}] → logits [{time}, B, {c.VocabSize}], "
            + $"hN and cN [{c.Layers}, B, {c.HiddenSize}]", lines[2]);
        Assert.Matches(SizeLine(), lines[3]);
        Assert.EndsWith($"({bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes)", lines[3]);
        Assert.Equal(4, lines.Length);

        using var session = new InferenceSession(run.Cli.PathOf(file));
        Assert.Equal(graph, session.ModelMetadata.CustomMetadataMap[OnnxExport.GraphKey]);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(lm.Vocabulary.ToStrings()), session.ModelMetadata.CustomMetadataMap["charlstm.vocabulary"]);
    }

    [Fact]
    public void An_existing_file_is_replaced_only_with_overwrite()
    {
        string file = run.Cli.PathOf("taken.onnx");
        File.WriteAllText(file, "my own file");
        var refused = run.Cli.Run("export", run.RunFolder, "--format", "onnx", "-o", "taken.onnx");
        output.WriteLine(refused.All);
        refused.AssertNoStackTrace();
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("'taken.onnx' already exists. Pass --overwrite to replace it", refused.Stderr);
        Assert.Equal("my own file", File.ReadAllText(file));

        var replaced = run.Cli.Run("export", run.RunFolder, "--format", "onnx", "-o", "taken.onnx", "--overwrite");
        Assert.True(replaced.ExitCode == 0, replaced.All);
        using var session = new InferenceSession(file);
        Assert.Equal("sequence", session.ModelMetadata.CustomMetadataMap[OnnxExport.GraphKey]);
        Assert.Empty(Directory.GetFiles(run.Cli.Folder, ".taken.onnx.*")); // no temporary file left
    }

    public static TheoryData<string, string[]> Samplings() => new()
    {
        { "the cat", ["--seed", "42"] },
        { "a dog ", ["--seed", "7", "--temperature", "0.8", "--top-k", "10"] },
        { "she", ["--seed", "123456789", "--temperature", "1.2", "--top-p", "0.9"] },
        { "the moon", ["--seed", "3", "--temperature", "0"] },
    };

    [Theory, MemberData(nameof(Samplings))]
    public void Onnx_runtime_on_the_step_graph_generates_what_charlstm_generate_prints(string prompt, string[] options)
    {
        Assert.True(run.Train.ExitCode == 0, run.Train.All);
        string file = run.Cli.PathOf("generate-step.onnx");
        // The tests of a class run one at a time: the first exports, the others reuse the file.
        if (!File.Exists(file)) Assert.Equal(0, run.Cli.Run("export", run.RunFolder, "--format", "onnx", "--graph", "step", "-o", file).ExitCode);
        const int Length = 300;
        var generated = run.Cli.Run(["generate", "-m", run.RunFolder, "--prompt", prompt, "--length", Length.ToString(CultureInfo.InvariantCulture), "-q",
            .. options]);
        Assert.True(generated.ExitCode == 0, generated.All);

        string Option(string name, string fallback) => options.SkipWhile(o => o != name).Skip(1).FirstOrDefault() ?? fallback;
        var sampling = new SamplingOptions(float.Parse(Option("--temperature", "1"), CultureInfo.InvariantCulture),
            int.Parse(Option("--top-k", "0"), CultureInfo.InvariantCulture), float.Parse(Option("--top-p", "1"), CultureInfo.InvariantCulture));
        string text = OnnxGeneration.Generate(file, prompt, Length, ulong.Parse(Option("--seed", ""), CultureInfo.InvariantCulture), sampling);
        output.WriteLine($"charlstm generate {string.Join(' ', options)}:\n{generated.Stdout}ONNX Runtime:\n{prompt}{text}");
        Assert.Equal(prompt + text + "\n", generated.Stdout);
    }

    [Theory]
    [InlineData("step", "the cat")]
    [InlineData("sequence", "a dog ")]
    [InlineData("sequence", "")]
    public async Task The_python_example_prints_what_charlstm_generate_prints_at_temperature_0(string graph, string prompt)
    {
        // tools/onnx_generate.py is written for onnxruntime; where /usr/bin/python3 lacks that package (Debian 12 has none, and
        // no package index is reachable here), it runs on a numpy stand-in (Interop/OrtStandIn/onnxruntime.py) that
        // evaluates the same graph, so the script's own logic is tested either way.
        Requires.Onnx();
        Assert.True(run.Train.ExitCode == 0, run.Train.All);
        string file = run.Cli.PathOf($"python-{graph}.onnx");
        if (!File.Exists(file)) Assert.Equal(0, run.Cli.Run("export", run.RunFolder, "--format", "onnx", "--graph", graph, "-o", file).ExitCode);
        var expected = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt", prompt, "--length", "200", "--temperature", "0", "-q");
        Assert.True(expected.ExitCode == 0, expected.All);

        string root = Repository.Root();
        var start = new System.Diagnostics.ProcessStartInfo(Requires.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Path.Combine(root, "tools", "onnx_generate.py"), file, "--prompt", prompt, "--length", "200", "--temperature", "0" })
            start.ArgumentList.Add(a);
        // The real onnxruntime when the interpreter has it; the stand-in otherwise.
        bool realRuntime = Requires.PythonHas("onnxruntime");
        if (!realRuntime) start.Environment["PYTHONPATH"] = Path.Combine(root, "tests", "CharLstm.Tests", "Interop", "OrtStandIn");
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = System.Diagnostics.Process.Start(start)!;
        Task<string> stdoutTask = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken),
            stderrTask = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            await process.WaitForExitAsync(timeout.Token);
        string stdout = await stdoutTask, stderr = await stderrTask;
        output.WriteLine($"charlstm generate:\n{expected.Stdout}tools/onnx_generate.py ({graph} graph, "
            + $"{(realRuntime ? "onnxruntime" : "the numpy stand-in")}):\n{stdout}{stderr}");
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal(expected.Stdout, stdout);
    }

    [GeneratedRegex(@"^  size:   [0-9]+\.[0-9] (KB|MB) \([0-9,]+ bytes\)$")]
    private static partial Regex SizeLine();
}
