using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CharLstm.Data;
using CharLstm.IO;

namespace CharLstm.Tests.Cli;

/// <summary>
/// Models moving between PyTorch and charlstm through the committed scripts and the real CLI: trained in PyTorch
/// (tools/torch_train.py, one process or two under torchrun with gloo) then imported or used as written, and
/// trained by charlstm then written back by tools/torch_interop.py. Needs /usr/bin/python3 with torch
/// (<see cref="Requires.Torch"/>: skipped without it, failed without it under CI).
/// </summary>
public sealed class TorchRoundTripTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    // A small model, a few steps: seconds on two cores.
    private static readonly string[] Small =
        ["--layers", "2", "--hidden", "24", "--embedding", "8", "--batch", "8", "--seq-len", "32", "--warmup", "5", "--log-interval", "5"];

    [Fact]
    public void A_model_trained_in_torch_imports_and_charlstm_eval_gives_torchs_validation_loss()
    {
        Requires.Torch();
        _cli.WriteCorpus(sentences: 800);
        var trained = Python([Tool("torch_train.py"), "corpus.txt", "-o", "torch.safetensors", "--max-steps", "12", .. Small,
            "--state-dict", "state.safetensors", "--vocab-out", "vocab.json", "--json"]);
        double torchLoss = trained.GetProperty("val_loss_nats").GetDouble();

        var import = _cli.Run("import", "state.safetensors", "--vocab", "vocab.json", "-o", "imported.safetensors");
        Assert.True(import.ExitCode == 0, import.All);
        File.WriteAllText(_cli.PathOf("valid.txt"), ValidationText(File.ReadAllText(_cli.PathOf("corpus.txt")), 0.1));
        double ours = Eval("imported.safetensors", "valid.txt");
        output.WriteLine($"torch_train.py (1 process, 12 steps) validation {torchLoss:F6} nats/char; charlstm eval of the imported "
            + $"state_dict {ours:F6}; difference {Math.Abs(ours - torchLoss):E2}");
        Assert.True(Math.Abs(ours - torchLoss) < 1e-4, $"charlstm {ours} vs PyTorch {torchLoss}");

        // The script's own model file holds the very tensors the state_dict does.
        var written = SafeTensors.ReadFile(_cli.PathOf("torch.safetensors"));
        var imported = SafeTensors.ReadFile(_cli.PathOf("imported.safetensors"));
        AssertSameTensors(written, imported);
        Assert.Equal(written.Metadata["charlstm.vocabulary"], imported.Metadata["charlstm.vocabulary"]);
    }

    [Fact]
    public void Torch_trains_defaults_are_charlstm_trains_default_preset()
    {
        // bench/quality.py compares `charlstm train` with the peer's defaults as "the same recipe": they must stay equal.
        Requires.Torch();
        string code = $"import json, sys; sys.path.insert(0, {JsonSerializer.Serialize(Path.GetDirectoryName(Tool("torch_train.py")))}); "
            + "import torch_train; print(json.dumps(vars(torch_train.parse_args(['corpus.txt', '-o', 'x.safetensors']))))";
        var peer = Python("-c", code);
        var ours = CharLstm.Training.Presets.Get("default");
        Assert.Equal(ours.Layers, peer.GetProperty("layers").GetInt32());
        Assert.Equal(ours.HiddenSize, peer.GetProperty("hidden").GetInt32());
        Assert.Equal(ours.EmbeddingSize, peer.GetProperty("embedding").GetInt32());
        Assert.Equal(ours.Dropout, peer.GetProperty("dropout").GetDouble(), 1e-7);
        Assert.Equal(ours.ForgetBiasOne, peer.GetProperty("forget_bias_one").GetBoolean());
        Assert.Equal(ours.Batch, peer.GetProperty("batch").GetInt32());
        Assert.Equal(ours.SeqLen, peer.GetProperty("seq_len").GetInt32());
        Assert.Equal(ours.ValFraction, peer.GetProperty("val_fraction").GetDouble());
        Assert.Equal("adam", ours.Optimizer);
        Assert.Equal(ours.LearningRate, peer.GetProperty("lr").GetDouble());
        Assert.Equal(ours.Schedule.ToString().ToLowerInvariant(), peer.GetProperty("schedule").GetString());
        Assert.Equal(ours.WarmupSteps, peer.GetProperty("warmup").GetInt32());
        Assert.Equal(ours.MinLearningRateFraction, peer.GetProperty("min_lr_fraction").GetDouble());
        Assert.Equal(ours.DecayFraction, peer.GetProperty("decay_fraction").GetDouble());
        Assert.Equal(ours.Clip, peer.GetProperty("clip").GetDouble());
        Assert.Equal(ours.Epochs, peer.GetProperty("epochs").GetInt32());
    }

    [Fact]
    public void Torch_train_wsd_decays_by_its_deadline_and_scores_validation_as_charlstm_train_does()
    {
        Requires.Torch();
        _cli.WriteCorpus(sentences: 800);
        var result = Python([Tool("torch_train.py"), "corpus.txt", "-o", "wsd.safetensors", "--max-steps", "1000000", .. Small,
            "--schedule", "wsd", "--lr", "0.002", "--time", "2", "--eval-interval", "20", "--metrics", "metrics.csv", "--json"]);
        var rows = File.ReadAllLines(_cli.PathOf("metrics.csv"));
        Assert.Equal("step,epoch,chars_seen,elapsed_s,lr,train_loss,val_loss", rows[0]);
        var last = rows[^1].Split(',');
        double lr = double.Parse(last[4], System.Globalization.CultureInfo.InvariantCulture);
        output.WriteLine($"{result.GetProperty("steps").GetInt64()} steps; last row: {rows[^1]}");
        // The deadline, not the million-step horizon, ended the decay: the last step's rate is near the floor (0.1 × 2e-3).
        Assert.InRange(lr, 2e-4, 3e-4);
        Assert.Equal(result.GetProperty("steps").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), last[0]);

        // The final validation figure is charlstm train's: StreamEvaluator with --batch streams and --seq-len chunks.
        var model = ModelFile.Load(_cli.PathOf("wsd.safetensors"));
        var text = ValidationText(File.ReadAllText(_cli.PathOf("corpus.txt")), 0.1);
        var ids = model.Vocabulary.Encode(TextScalars.FromString(text));
        double ours = CharLstm.Training.StreamEvaluator.Score(model.Network, ids, streams: 8, chunk: 32).MeanNats;
        double peer = result.GetProperty("stream_val_loss_final").GetDouble();
        output.WriteLine($"validation as charlstm train scores it: torch_train.py {peer:F6}, StreamEvaluator {ours:F6}");
        Assert.True(Math.Abs(ours - peer) < 1e-4, $"StreamEvaluator {ours} vs torch_train.py {peer}");
        Assert.Equal(peer, double.Parse(last[6], System.Globalization.CultureInfo.InvariantCulture), 1e-5);
    }

    [Fact]
    public void Torch_train_stops_at_its_time_budget_and_reports_the_steps_it_took()
    {
        // The equal-wall-time peer: --time stops training after that much training time, however many steps remain, and
        // validation passes (here every 5 steps) are not charged to it.
        Requires.Torch();
        _cli.WriteCorpus(sentences: 800);
        var result = Python([Tool("torch_train.py"), "corpus.txt", "-o", "timed.safetensors", "--max-steps", "1000000", .. Small,
            "--time", "2", "--eval-interval", "5", "--json"]);
        long steps = result.GetProperty("steps").GetInt64();
        double seconds = result.GetProperty("seconds").GetDouble();
        output.WriteLine($"--time 2: {steps} steps in {seconds:F2} s of training");
        Assert.InRange(steps, 1, 999_999);
        Assert.InRange(seconds, 2.0, 10.0);
        using var summary = JsonDocument.Parse(SafeTensors.ReadFile(_cli.PathOf("timed.safetensors")).Metadata["charlstm.training"]);
        Assert.Equal(steps, summary.RootElement.GetProperty("steps").GetInt64());
        Assert.Equal(steps * 8 * 32, result.GetProperty("characters_seen").GetInt64());
    }

    [Fact]
    public void A_charlstm_model_through_torch_and_back_keeps_every_tensor_bit_and_its_metadata()
    {
        Requires.Torch();
        // A vocabulary beyond ASCII (ö, an emoji outside the BMP) and a run summary, text options and dropout to carry.
        File.WriteAllText(_cli.PathOf("corpus.txt"), TinyRuns.Text(6000, 5));
        var train = _cli.Run("train", "corpus.txt", "--layers", "2", "--hidden", "16", "--embedding", "6", "--batch", "4", "--seq-len", "16",
            "--sample-length", "0", "--plain", "--max-steps", "6", "--lowercase", "--out", "m");
        Assert.True(train.ExitCode == 0, train.All);
        string model = "m/last.safetensors";

        Python(Tool("torch_interop.py"), "save", model, "-o", "back.safetensors");
        var original = SafeTensors.ReadFile(_cli.PathOf(model));
        var back = SafeTensors.ReadFile(_cli.PathOf("back.safetensors"));
        AssertSameTensors(original, back);
        Assert.Equal(original.Metadata.Keys.Order(), back.Metadata.Keys.Order());
        foreach (var (key, value) in original.Metadata)
            if (key != "charlstm.vocabulary") Assert.True(value == back.Metadata[key], $"{key}: '{value}' became '{back.Metadata[key]}'");
        // The vocabulary is the same list; only its JSON escapes differ (System.Text.Json writes ö as \u00F6, Python as ö).
        Assert.Equal(Vocabulary(original), Vocabulary(back));

        // The plain state_dict and vocab.json that charlstm import takes, and back.
        Python(Tool("torch_interop.py"), "state-dict", model, "-o", "state.safetensors", "--vocab-out", "vocab.json");
        var import = _cli.Run("import", "state.safetensors", "--vocab", "vocab.json", "-o", "imported.safetensors", "--dropout", "0.1");
        Assert.True(import.ExitCode == 0, import.All);
        var imported = SafeTensors.ReadFile(_cli.PathOf("imported.safetensors"));
        AssertSameTensors(original, imported);
        foreach (string key in new[] { "charlstm.vocab_size", "charlstm.embedding_size", "charlstm.hidden_size", "charlstm.layers", "charlstm.dropout" })
            Assert.Equal(original.Metadata[key], imported.Metadata[key]);
        Assert.Equal(Vocabulary(original), Vocabulary(imported));
        // A state_dict carries no run summary and no text options; the imported model has neither.
        Assert.False(imported.Metadata.ContainsKey("charlstm.training"));
        Assert.False(imported.Metadata.ContainsKey(ModelFile.TextOptionsKey));
        output.WriteLine($"{original.Tensors.Count} tensors, {original.Tensors.Sum(t => t.Data.Length):N0} values: identical bits after "
            + "torch_interop.py save, and after state-dict + charlstm import");
    }

    [Fact]
    public void Torchrun_with_two_cpu_processes_writes_a_model_whose_charlstm_eval_is_the_scripts_validation_loss()
    {
        Requires.Torch();
        _cli.WriteCorpus(sentences: 800);
        string[] launcher = File.Exists("/usr/bin/torchrun") ? ["/usr/bin/torchrun"] : [Requires.Python, "-m", "torch.distributed.run"];
        // --redirects 2 --tee 2: torch 1.13's launcher on Python 3.11 cannot parse its own default of 0 (AttributeError in to_map).
        string[] ddp = [.. launcher.Skip(1), "--nnodes", "1", "--nproc_per_node", "2", "--master_port", FreePort().ToString(),
            "--redirects", "2", "--tee", "2", Tool("torch_train.py"), "corpus.txt", "-o", "ddp.safetensors", "--max-steps", "12", .. Small,
            "--dropout", "0", "--backend", "gloo", "--device", "cpu", "--json-out", "ddp.json"];
        string stdout = Run(launcher[0], ddp);
        output.WriteLine(stdout);
        using var result = JsonDocument.Parse(File.ReadAllText(_cli.PathOf("ddp.json")));
        Assert.Equal(2, result.RootElement.GetProperty("processes").GetInt32());
        Assert.Equal("gloo", result.RootElement.GetProperty("backend").GetString());
        double ddpLoss = result.RootElement.GetProperty("val_loss_nats").GetDouble();

        File.WriteAllText(_cli.PathOf("valid.txt"), ValidationText(File.ReadAllText(_cli.PathOf("corpus.txt")), 0.1));
        double ours = Eval("ddp.safetensors", "valid.txt");
        Assert.Equal(result.RootElement.GetProperty("val_characters").GetInt32(), File.ReadAllText(_cli.PathOf("valid.txt")).Length);

        // One process with all 8 streams takes the steps the two processes took with 4 each (no dropout to differ).
        var single = Python([Tool("torch_train.py"), "corpus.txt", "-o", "single.safetensors", "--max-steps", "12", .. Small,
            "--dropout", "0", "--json"]);
        double singleLoss = single.GetProperty("val_loss_nats").GetDouble();
        output.WriteLine($"torchrun 2 processes (gloo): validation {ddpLoss:F6} nats/char; charlstm eval {ours:F6} (difference "
            + $"{Math.Abs(ours - ddpLoss):E2}); 1 process: {singleLoss:F6} (difference {Math.Abs(singleLoss - ddpLoss):E2})");
        Assert.True(Math.Abs(ours - ddpLoss) < 1e-4, $"charlstm {ours} vs torch_train.py {ddpLoss}");
        Assert.True(Math.Abs(singleLoss - ddpLoss) < 1e-4, $"1 process {singleLoss} vs 2 processes {ddpLoss}");
        Assert.True(ddpLoss < Math.Log(result.RootElement.GetProperty("vocabulary").GetInt32()), "12 steps learned nothing");
    }

    // The last fraction of the text, cut by charlstm's own rule (EncodedCorpus.Split), as the text eval reads.
    private static string ValidationText(string text, double fraction)
    {
        var scalars = TextScalars.FromString(text);
        var vocabulary = CharLstm.Data.Vocabulary.Build(scalars);
        var corpus = new Corpus("corpus.txt", "corpus.txt", new string('0', 64), scalars);
        var (_, validation) = EncodedCorpus.Encode(corpus, vocabulary).Split(fraction);
        return vocabulary.Decode(validation.Slice(0, validation.Length).ToArray());
    }

    private double Eval(string model, string text)
    {
        var r = _cli.Run("eval", "-m", model, text, "--json");
        Assert.True(r.ExitCode == 0, r.All);
        using var json = JsonDocument.Parse(r.Stdout);
        return json.RootElement.GetProperty("loss_nats").GetDouble();
    }

    private static string[] Vocabulary(SafeTensorsFile file) => JsonSerializer.Deserialize<string[]>(file.Metadata["charlstm.vocabulary"])!;

    private static void AssertSameTensors(SafeTensorsFile expected, SafeTensorsFile actual)
    {
        Assert.Equal(expected.Tensors.Select(t => t.Name).Order(), actual.Tensors.Select(t => t.Name).Order());
        foreach (var t in expected.Tensors)
        {
            var other = actual.Get(t.Name);
            Assert.Equal(t.Shape, other.Shape);
            Assert.True(t.Data.AsSpan().SequenceEqual(other.Data), $"tensor '{t.Name}' differs"); // float equality per element: same bits here
        }
    }

    private JsonElement Python(params string[] args)
    {
        string stdout = Run(Requires.Python, args);
        string last = stdout.TrimEnd().Split('\n')[^1];
        return last.StartsWith('{') ? JsonDocument.Parse(last).RootElement.Clone() : default;
    }

    private string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = _cli.Folder, RedirectStandardOutput = true, RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!process.WaitForExit(120_000)) { process.Kill(true); Assert.Fail($"{program} {string.Join(' ', args)} took over 2 minutes"); }
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Tool(string name) => Path.Combine(Repository.Root(), "tools", name);
}
