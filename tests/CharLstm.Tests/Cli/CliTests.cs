using System.Text.Json;
using CharLstm.Model;

namespace CharLstm.Tests.Cli;

/// <summary>
/// The CLI end to end on generated corpora: one small training run shared by the tests that read it.
/// </summary>
public sealed class TrainedRunFixture : IDisposable
{
    public TrainedRunFixture()
    {
        Cli = new CliRunner();
        Corpus = Cli.WriteCorpus();
        Train = Cli.Run("train", Corpus, "--preset", "char-rnn", "--layers", "1", "--hidden", "48", "--batch", "8", "--seq-len", "32",
            "--max-steps", "60", "--eval-interval", "20", "--sample-length", "30", "--sample-at-eval", "--threads", "1", "--out", "run", "--plain");
        RunFolder = Cli.PathOf("run");
    }

    public CliRunner Cli { get; }
    public string Corpus { get; }
    public string RunFolder { get; }
    public CliRunner.Result Train { get; }
    public void Dispose() => Cli.Dispose();
}

public sealed class CliTests(TrainedRunFixture run, ITestOutputHelper output) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void Train_writes_every_file_and_reports_validation_loss()
    {
        output.WriteLine(run.Train.All);
        Assert.Equal(0, run.Train.ExitCode);
        foreach (var f in new[] { "best.safetensors", "last.safetensors", "last.checkpoint.safetensors", "metrics.csv", "config.json", "loss.png", "loss.svg" })
            Assert.True(File.Exists(Path.Combine(run.RunFolder, f)), $"missing {f}");
        Assert.Contains("validation loss", run.Train.Stdout);
        Assert.Contains("--- samples at step 20, each continuing the seed \"", run.Train.Stdout);
        Assert.Contains("--- temperature 0.2 ---", run.Train.Stdout);
        var csv = File.ReadAllLines(Path.Combine(run.RunFolder, "metrics.csv"));
        Assert.Equal("step,epoch,chars_seen,elapsed_s,lr,train_loss,grad_norm,val_loss,val_bpc", csv[0]);
        Assert.True(csv.Length > 3);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.RunFolder, "config.json")));
        Assert.Equal(48, config.RootElement.GetProperty("model").GetProperty("hidden_size").GetInt32());
        Assert.Equal(8, config.RootElement.GetProperty("training").GetProperty("batch").GetInt32());
        var png = File.ReadAllBytes(Path.Combine(run.RunFolder, "loss.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void Generate_with_the_same_seed_gives_the_same_text()
    {
        var a = run.Cli.Run("generate", "--model", run.RunFolder, "--prompt", "the ", "--length", "120", "--seed", "7", "--temperature", "0.9");
        var b = run.Cli.Run("generate", "--model", run.RunFolder, "--prompt", "the ", "--length", "120", "--seed", "7", "--temperature", "0.9");
        var c = run.Cli.Run("generate", "--model", run.RunFolder, "--prompt", "the ", "--length", "120", "--seed", "8", "--temperature", "0.9");
        output.WriteLine(a.Stdout);
        Assert.Equal(0, a.ExitCode);
        Assert.StartsWith("the ", a.Stdout);
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.NotEqual(a.Stdout, c.Stdout);
        Assert.Equal(4 + 120, a.Stdout.TrimEnd('\n').Length);
    }

    [Fact]
    public void Generate_greedy_samples_and_interactive_mode_work()
    {
        var greedy = run.Cli.Run("generate", "-m", run.RunFolder, "--temperature", "0", "--length", "40", "--samples", "2");
        Assert.Equal(0, greedy.ExitCode);
        var parts = greedy.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, parts.Length);
        Assert.Equal(parts[0], parts[1]); // argmax ignores the seed
        Assert.Contains("--- sample 2 of 2 (seed ", greedy.Stderr); // headers go to standard error, the text alone to standard output
        var interactive = run.Cli.RunWithInput("the cat\na dog\n", "generate", "-m", run.RunFolder, "--interactive", "--length", "10", "--seed", "1");
        Assert.Equal(0, interactive.ExitCode);
        var lines = interactive.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("the cat", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("a dog"));
    }

    [Fact]
    public void Eval_equals_the_mean_of_per_character_losses_computed_step_by_step()
    {
        string text = run.Cli.WriteCorpus("held-out.txt", sentences: 40, seed: 99);
        var result = run.Cli.Run("eval", "--model", run.RunFolder, text, "--json");
        output.WriteLine(result.All);
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        double cliLoss = json.RootElement.GetProperty("loss_nats").GetDouble();
        long scored = json.RootElement.GetProperty("characters_scored").GetInt64();

        // Independent path: one character at a time through an inference session, softmax in double.
        var lm = CharLanguageModel.Load(Path.Combine(run.RunFolder, "best.safetensors"));
        var ids = lm.Vocabulary.Encode(CharLstm.Data.TextScalars.FromString(File.ReadAllText(text)));
        var session = new InferenceSession(new InferenceModel(lm.Network));
        double sum = 0;
        for (int i = 0; i + 1 < ids.Length; i++)
        {
            var logits = session.Step([ids[i]]);
            double max = logits.ToArray().Max();
            double z = logits.ToArray().Sum(x => Math.Exp(x - max));
            sum += max + Math.Log(z) - logits[ids[i + 1]];
        }
        double mean = sum / (ids.Length - 1);
        output.WriteLine($"cli {cliLoss:F7}, step-by-step {mean:F7}");
        Assert.Equal(ids.Length - 1, scored);
        Assert.Equal(mean, cliLoss, 5);
    }

    [Fact]
    public void Inspect_shows_configuration_and_summary()
    {
        var result = run.Cli.Run("inspect", run.RunFolder, "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(48, json.RootElement.GetProperty("hidden_size").GetInt32());
        Assert.Equal(60, json.RootElement.GetProperty("training").GetProperty("steps").GetInt64());
        Assert.Contains(" ", json.RootElement.GetProperty("vocabulary").EnumerateArray().Select(e => e.GetString()));
        var text = run.Cli.Run("inspect", run.RunFolder);
        Assert.Contains("lstm.weight_hh_l0", text.Stdout);
        // The newline is shown escaped and the space as itself, in vocabulary order.
        Assert.Contains("characters: \\n .a", text.Stdout);
    }

    [Fact]
    public void Existing_run_is_not_overwritten_without_resume_or_overwrite()
    {
        var before = File.ReadAllBytes(Path.Combine(run.RunFolder, "last.safetensors"));
        var result = run.Cli.Run("train", run.Corpus, "--out", "run", "--max-steps", "1");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--resume", result.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(run.RunFolder, "last.safetensors")));
    }

    [Fact]
    public void Resume_continues_to_the_same_weights_as_an_uninterrupted_run()
    {
        string[] common = ["train", run.Corpus, "--preset", "char-rnn", "--layers", "2", "--hidden", "16", "--batch", "4", "--seq-len", "16",
            "--eval-interval", "10", "--sample-length", "0", "--threads", "1", "--dropout", "0.1", "--plain"];
        Assert.Equal(0, run.Cli.Run([.. common, "--max-steps", "30", "--out", "straight"]).ExitCode);
        Assert.Equal(0, run.Cli.Run([.. common, "--max-steps", "12", "--out", "split"]).ExitCode);
        var resumed = run.Cli.Run("train", run.Corpus, "--resume", "split", "--max-steps", "30", "--plain");
        output.WriteLine(resumed.All);
        Assert.Equal(0, resumed.ExitCode);
        var a = CharLanguageModel.Load(run.Cli.PathOf("straight/last.safetensors"));
        var b = CharLanguageModel.Load(run.Cli.PathOf("split/last.safetensors"));
        Assert.Equal(a.Network.Parameters, b.Network.Parameters);

        var other = run.Cli.WriteCorpus("other.txt", seed: 5);
        var refused = run.Cli.Run("train", other, "--resume", "split", "--max-steps", "40");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("original corpus", refused.Stderr);
    }
}

public sealed class CliInterruptTests
{
    [Fact]
    public async Task Ctrl_c_finishes_the_step_saves_and_exits_130()
    {
        using var cli = new CliRunner();
        cli.WriteCorpus(sentences: 4000);
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = cli.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CharLstm.Cli.dll"));
        foreach (var a in new[] { "train", "corpus.txt", "--hidden", "64", "--batch", "8", "--seq-len", "32", "--epochs", "1000", "--eval-interval", "0", "--plain", "--out", "r" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        // Wait until training is under way (its first progress line), then send SIGINT as Ctrl-C does.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(cli.PathOf("r/config.json")) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Thread.Sleep(1500);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", p.Id.ToString()])) kill.WaitForExit();
        Assert.True(p.WaitForExit(60_000), "charlstm did not stop after SIGINT");
        string output = await stdout + await stderr;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}\n{output}");
        Assert.Contains("--resume r", output);
        Assert.True(File.Exists(cli.PathOf("r/last.checkpoint.safetensors")));
        Assert.True(CharLstm.IO.CheckpointFile.Load(cli.PathOf("r/last.checkpoint.safetensors")).Step > 0);
    }
}

/// <summary>Bad input: a clear message naming the problem, the right exit code, never a stack trace.</summary>
public sealed class CliBadInputTests : IDisposable
{
    private readonly CliRunner _cli = new();
    public void Dispose() => _cli.Dispose();

    private static void Expect(CliRunner.Result r, int code, params string[] fragments)
    {
        Assert.True(r.ExitCode == code, $"exit {r.ExitCode}, expected {code}:\n{r.All}");
        foreach (var f in fragments) Assert.Contains(f, r.Stderr);
        Assert.DoesNotContain("   at ", r.All); // no stack trace
        Assert.DoesNotContain("Exception", r.All);
    }

    [Fact] public void Missing_corpus_file() => Expect(_cli.Run("train", "nope.txt"), 1, "nope.txt");

    [Fact]
    public void Empty_corpus()
    {
        File.WriteAllText(_cli.PathOf("empty.txt"), "");
        Expect(_cli.Run("train", "empty.txt"), 1, "empty");
    }

    [Fact]
    public void Corpus_shorter_than_one_window()
    {
        File.WriteAllText(_cli.PathOf("short.txt"), "to be or not to be");
        Expect(_cli.Run("train", "short.txt", "--batch", "4", "--seq-len", "10", "--val-fraction", "0"), 1, "shorter than one training window");
    }

    [Fact]
    public void Invalid_utf8_names_the_offset_and_replace_mode_accepts_it()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(new string('a', 100) + "b").Concat(new byte[] { 0xFF }).Concat(System.Text.Encoding.UTF8.GetBytes(new string('c', 5000))).ToArray();
        File.WriteAllBytes(_cli.PathOf("bad.txt"), bytes);
        Expect(_cli.Run("train", "bad.txt"), 1, "101", "--invalid-utf8 replace");
        var ok = _cli.Run("train", "bad.txt", "--invalid-utf8", "replace", "--max-steps", "1", "--batch", "2", "--seq-len", "8", "--hidden", "8", "--layers", "1", "--sample-length", "0");
        Assert.Equal(0, ok.ExitCode);
    }

    [Theory]
    [InlineData("--batch", "0", "--batch")]
    [InlineData("--seq-len", "-3", "--seq-len")]
    [InlineData("--preset", "nope", "preset")]
    [InlineData("--layers", "9", "--layers")]
    [InlineData("--dropout", "1.5", "--dropout")]
    [InlineData("--time", "soon", "--time")]
    [InlineData("--optimizer", "adamw", "--optimizer")]
    [InlineData("--lr", "-1", "--lr")]
    public void Bad_train_option_values_exit_2_naming_the_option(string option, string value, string named)
    {
        _cli.WriteCorpus();
        Expect(_cli.Run("train", "corpus.txt", option, value), 2, named);
    }

    [Fact]
    public void Unknown_option_exits_2() => Expect(_cli.Run("train", "--frobnicate"), 2, "--frobnicate");

    [Theory]
    [InlineData("--length", "-5", "--length")]
    [InlineData("--temperature", "-1", "temperature")]
    [InlineData("--top-p", "0", "top-p")]
    [InlineData("--top-k", "-2", "top-k")]
    [InlineData("--samples", "0", "--samples")]
    public void Bad_generate_option_values_exit_2(string option, string value, string named)
        => Expect(_cli.Run("generate", "--model", "whatever.safetensors", option, value), 2, named);

    [Fact]
    public void Missing_or_malformed_model_files_exit_1()
    {
        Expect(_cli.Run("generate", "--model", "absent.safetensors"), 1, "absent.safetensors");
        File.WriteAllBytes(_cli.PathOf("garbage.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        Expect(_cli.Run("inspect", "garbage.safetensors"), 1, "garbage.safetensors");
        Expect(_cli.Run("generate", "-m", "garbage.safetensors"), 1, "garbage.safetensors");
        _cli.WriteCorpus();
        Expect(_cli.Run("eval", "-m", "garbage.safetensors", "corpus.txt"), 1, "garbage.safetensors");
    }

    [Fact]
    public void Prompt_characters_outside_the_vocabulary_are_listed_or_skipped()
    {
        _cli.WriteCorpus();
        Assert.Equal(0, _cli.Run("train", "corpus.txt", "--max-steps", "2", "--batch", "2", "--seq-len", "8", "--hidden", "8", "--layers", "1", "--sample-length", "0", "--out", "m").ExitCode);
        Expect(_cli.Run("generate", "-m", "m", "--prompt", "Zé€"), 2, "U+00E9", "--unknown skip");
        var skipped = _cli.Run("generate", "-m", "m", "--prompt", "Zé€the", "--unknown", "skip", "--length", "5", "--seed", "1");
        Assert.Equal(0, skipped.ExitCode);
    }
}

/// <summary>The examples printed by --help must parse.</summary>
public sealed class HelpExampleTests
{
    [Fact]
    public void Every_help_example_parses()
    {
        var root = CharLstm.Cli.Program.BuildRoot();
        int checkedCount = 0;
        foreach (var verb in root.Subcommands)
            foreach (var line in (verb.Description ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("charlstm ")))
            {
                // A comment, a redirection or a pipe is the shell's, not the tool's.
                string commandLine = line.Split([" #", " < ", " > ", " | "], StringSplitOptions.None)[0].Trim();
                var args = System.Text.RegularExpressions.Regex.Matches(commandLine, "\"([^\"]*)\"|(\\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Skip(1).ToArray();
                var parse = root.Parse(args);
                Assert.True(parse.Errors.Count == 0, $"'{commandLine}': {string.Join("; ", parse.Errors.Select(e => e.Message))}");
                checkedCount++;
            }
        Assert.True(checkedCount >= 10, $"only {checkedCount} examples found");
    }
}

public sealed class CliKeepTests
{
    [Fact]
    public void Keep_n_retains_the_n_most_recent_step_numbered_checkpoints()
    {
        using var cli = new CliRunner();
        cli.WriteCorpus();
        var r = cli.Run("train", "corpus.txt", "--hidden", "16", "--layers", "1", "--batch", "4", "--seq-len", "16", "--max-steps", "50",
            "--eval-interval", "10", "--sample-length", "0", "--keep", "2", "--out", "k", "--plain");
        Assert.Equal(0, r.ExitCode);
        string[] kept = Directory.GetFiles(cli.PathOf("k"), "step-*.safetensors").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["step-00000030.checkpoint.safetensors", "step-00000030.safetensors", "step-00000040.checkpoint.safetensors", "step-00000040.safetensors"], kept);
        Assert.Equal(40, CharLstm.IO.CheckpointFile.Load(cli.PathOf("k/step-00000040.checkpoint.safetensors")).Step);
    }
}
