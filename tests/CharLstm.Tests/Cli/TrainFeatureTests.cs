using System.Text.Json;
using CharLstm.IO;
using CharLstm.Training;

namespace CharLstm.Tests.Cli;

/// <summary>
/// What char-rnn, textgenrnn and Keras users reach for, through the real CLI: fine-tuning (--init-from), early
/// stopping (--patience), a separate validation text (--val-file), a corpus on standard input, --quiet, and
/// samples in runs too short to reach an epoch end.
/// </summary>
public sealed class TrainFeatureTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();
    public void Dispose() => _cli.Dispose();

    private static readonly string[] Small = ["--layers", "1", "--hidden", "24", "--batch", "8", "--seq-len", "32", "--sample-length", "0", "--plain"];

    private double Eval(string model, string text)
    {
        var r = _cli.Run("eval", "-m", model, text, "--json");
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        return json.RootElement.GetProperty("loss_nats").GetDouble();
    }

    [Fact]
    public void Init_from_starts_where_the_model_left_off_and_adds_new_characters()
    {
        _cli.WriteCorpus();
        Assert.Equal(0, _cli.Run(["train", "corpus.txt", .. Small, "--max-steps", "150", "--lr", "0.01", "--out", "base"]).ExitCode);
        double trained = Eval("base", "corpus.txt");

        // One step at a vanishing rate: the fine-tuned model scores the text as the model it came from, not as a fresh one.
        var same = _cli.Run(["train", "corpus.txt", .. Small, "--init-from", "base", "--max-steps", "1", "--lr", "1e-9", "--out", "ft"]);
        output.WriteLine(same.All);
        Assert.Equal(0, same.ExitCode);
        Assert.Contains("fine-tuning from 1×24 model", same.Stdout);
        Assert.Equal(trained, Eval("ft", "corpus.txt"), 3);
        var fresh = _cli.Run(["train", "corpus.txt", .. Small, "--max-steps", "1", "--lr", "1e-9", "--out", "fresh"]);
        Assert.Equal(0, fresh.ExitCode);
        Assert.True(Eval("fresh", "corpus.txt") > trained + 0.3, "the fresh model should score far worse than the trained one");

        // New characters join the vocabulary; the old ones keep their rows.
        File.WriteAllText(_cli.PathOf("shouting.txt"), File.ReadAllText(_cli.PathOf("corpus.txt")).Replace("the", "THE"));
        var grown = _cli.Run(["train", "shouting.txt", .. Small, "--init-from", "base/best.safetensors", "--max-steps", "1", "--lr", "1e-9",
            "--out", "grown"]);
        output.WriteLine(grown.All);
        Assert.Equal(0, grown.ExitCode);
        Assert.Contains("3 characters new to it start untrained: 'E' (U+0045), 'H' (U+0048), 'T' (U+0054)", grown.Stdout);
        var before = CharLanguageModel.Load(_cli.PathOf("base/best.safetensors"));
        var after = CharLanguageModel.Load(_cli.PathOf("grown/last.safetensors"));
        Assert.Equal(before.Vocabulary.Size + 3, after.Vocabulary.Size);
        foreach (int scalar in before.Vocabulary.Scalars)
        {
            Assert.True(before.Vocabulary.TryGetId(scalar, out int a));
            Assert.True(after.Vocabulary.TryGetId(scalar, out int b));
            Assert.Equal(before.Network.View("head.bias")[a], after.Network.View("head.bias")[b], 5);
        }
        Assert.Contains("base/best.safetensors", File.ReadAllText(_cli.PathOf("grown/config.json")).Replace('\\', '/'));
    }

    [Fact]
    public void Init_from_refuses_another_shape_and_a_resume()
    {
        _cli.WriteCorpus();
        Assert.Equal(0, _cli.Run(["train", "corpus.txt", .. Small, "--max-steps", "2", "--out", "base"]).ExitCode);
        var shape = _cli.Run(["train", "corpus.txt", "--init-from", "base", "--hidden", "64", "--out", "x"]);
        Assert.Equal(2, shape.ExitCode);
        Assert.Contains("--hidden 64 (the model has 24)", shape.Stderr);
        Assert.False(Directory.Exists(_cli.PathOf("x")));
        var resume = _cli.Run("train", "corpus.txt", "--resume", "base", "--init-from", "base", "--max-steps", "4");
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains("--init-from", resume.Stderr);
        var missing = _cli.Run(["train", "corpus.txt", .. Small, "--init-from", "nope", "--out", "y"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.False(Directory.Exists(_cli.PathOf("y")));
    }

    [Fact]
    public void Patience_stops_early_and_a_resumed_run_stops_at_the_same_step()
    {
        _cli.WriteCorpus();
        // A rate this high makes validation worse after the first passes.
        string[] run = ["train", "corpus.txt", .. Small, "--lr", "0.2", "--eval-interval", "5", "--patience", "2", "--max-steps", "400"];
        var straight = _cli.Run([.. run, "--out", "straight"]);
        output.WriteLine(straight.All);
        Assert.Equal(0, straight.ExitCode);
        Assert.Contains("validation passes in a row without a new best (--patience)", straight.Stdout);
        long stoppedAt = CheckpointFile.Load(_cli.PathOf("straight/last.checkpoint.safetensors")).Step;
        Assert.True(stoppedAt < 400);

        var first = _cli.Run(["train", "corpus.txt", .. Small, "--lr", "0.2", "--eval-interval", "5", "--patience", "2", "--max-steps", "5", "--out", "split"]);
        Assert.Equal(0, first.ExitCode);
        var rest = _cli.Run("train", "corpus.txt", "--resume", "split", "--max-steps", "400", "--plain");
        Assert.Equal(0, rest.ExitCode);
        Assert.Equal(stoppedAt, CheckpointFile.Load(_cli.PathOf("split/last.checkpoint.safetensors")).Step);
        Assert.Equal(CharLanguageModel.Load(_cli.PathOf("straight/best.safetensors")).Network.Parameters,
            CharLanguageModel.Load(_cli.PathOf("split/best.safetensors")).Network.Parameters);
    }

    [Fact]
    public void Val_file_is_scored_instead_of_a_held_out_end()
    {
        _cli.WriteCorpus();
        _cli.WriteCorpus("held-out.txt", sentences: 50, seed: 7);
        int heldOut = File.ReadAllText(_cli.PathOf("held-out.txt")).Length;
        int corpus = File.ReadAllText(_cli.PathOf("corpus.txt")).Length;
        var r = _cli.Run(["train", "corpus.txt", .. Small, "--val-file", "held-out.txt", "--max-steps", "3", "--out", "v"]);
        output.WriteLine(r.All);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"train {corpus:N0} / validation {heldOut:N0}", r.Stdout);
        Assert.Contains($"over {heldOut - 1:N0} characters", r.Stdout);
        var both = _cli.Run("train", "corpus.txt", "--val-file", "held-out.txt", "--val-fraction", "0.2", "--out", "w");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("not both", both.Stderr);
        var missing = _cli.Run("train", "corpus.txt", "--val-file", "nope.txt", "--out", "m");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("--val-file", missing.Stderr);
        Assert.False(Directory.Exists(_cli.PathOf("m")));
    }

    [Fact]
    public void A_corpus_on_standard_input_trains_and_resumes()
    {
        string text = File.ReadAllText(_cli.WriteCorpus());
        var r = _cli.RunWithInput(text, ["train", "-", .. Small, "--max-steps", "2"]);
        output.WriteLine(r.All);
        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(_cli.PathOf("runs/stdin/last.checkpoint.safetensors")));
        Assert.Equal(0, _cli.RunWithInput(text, "train", "-", "--resume", "runs/stdin", "--max-steps", "4", "--plain").ExitCode);
        var other = _cli.RunWithInput(text + "more", "train", "-", "--resume", "runs/stdin", "--max-steps", "6");
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("original corpus", other.Stderr);
    }

    [Fact]
    public void A_time_budget_chooses_the_model_size_and_says_why_unless_the_size_is_given()
    {
        _cli.WriteCorpus();
        string[] run = ["train", "corpus.txt", "--batch", "8", "--seq-len", "32", "--sample-length", "0", "--plain", "--time", "2s"];
        var sized = _cli.Run([.. run, "--out", "sized"]);
        output.WriteLine(sized.All);
        Assert.Equal(0, sized.ExitCode);
        // Two seconds buy too few characters for anything but the smallest size; the line names every size's estimate.
        var smallest = BudgetSizing.Sizes[0];
        Assert.Contains($"size for --time 2s: {smallest}", sized.Stdout);
        foreach (var size in BudgetSizing.Sizes) Assert.Contains($"{size.Layers}×{size.Hidden} ", sized.Stdout);
        using (var config = JsonDocument.Parse(File.ReadAllText(_cli.PathOf("sized/config.json"))))
        {
            var model = config.RootElement.GetProperty("model");
            Assert.Equal(smallest.Hidden, model.GetProperty("hidden_size").GetInt32());
            Assert.Equal(smallest.Layers, model.GetProperty("layers").GetInt32());
            Assert.Equal(smallest.Embedding, model.GetProperty("embedding_size").GetInt32());
        }

        // --dropout typed keeps its value; a size typed, or another preset, turns the sizing off.
        var dropout = _cli.Run([.. run, "--dropout", "0.3", "--out", "dropout"]);
        Assert.Equal(0, dropout.ExitCode);
        using (var config = JsonDocument.Parse(File.ReadAllText(_cli.PathOf("dropout/config.json"))))
            Assert.Equal(0.3, config.RootElement.GetProperty("model").GetProperty("dropout").GetDouble(), 6);
        foreach (var own in new[] { new[] { "--hidden", "24" }, ["--layers", "1"], ["--embedding", "0"], ["--preset", "char-rnn"] })
        {
            var given = _cli.Run([.. run, .. own, "--out", "own"]);
            Assert.True(given.ExitCode == 0, given.All);
            Assert.DoesNotContain("size for --time", given.Stdout);
            Directory.Delete(_cli.PathOf("own"), recursive: true);
        }
    }

    [Fact]
    public void Quiet_prints_only_how_the_run_ended()
    {
        _cli.WriteCorpus();
        var r = _cli.Run("train", "corpus.txt", "--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--max-steps", "12",
            "--eval-interval", "5", "--quiet", "--out", "q");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["reached --max-steps 12.", "best validation loss", "files:"], lines.Select(l => l.Split(' ')[0] == "best" ? "best validation loss"
            : l.StartsWith("files:", StringComparison.Ordinal) ? "files:" : l));
    }

    [Fact]
    public void A_run_shorter_than_an_epoch_samples_at_evaluations_and_at_its_end_with_the_seed_shown()
    {
        _cli.WriteCorpus();
        var r = _cli.Run("train", "corpus.txt", "--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--max-steps", "7",
            "--eval-interval", "3", "--sample-length", "20", "--sample-temperatures", "0.5", "--plain", "--out", "s");
        output.WriteLine(r.All);
        Assert.Equal(0, r.ExitCode);
        string[] groups = [.. r.Stdout.Split('\n').Where(l => l.StartsWith("--- samples at step", StringComparison.Ordinal))];
        Assert.Equal(["3", "6", "7"], groups.Select(g => g.Split(' ')[4].TrimEnd(',')));
        Assert.All(groups, g => Assert.Contains("each continuing the seed \"", g));
        Assert.Equal(3, r.Stdout.Split('\n').Count(l => l == "--- temperature 0.5 ---"));
    }

    [Fact]
    public void Train_help_shows_every_presets_values_and_what_a_resume_keeps()
    {
        string help = _cli.Run("train", "--help").Stdout;
        foreach (string name in CharLstm.Training.Presets.Names)
        {
            var p = CharLstm.Training.Presets.Get(name);
            Assert.Contains($"{name,-10} {p.Layers}×{p.HiddenSize} LSTM", help);
            Assert.Contains($"batch {p.Batch}×{p.SeqLen}; {p.Optimizer} lr {p.LearningRate}", help);
        }
        Assert.Contains("It keeps its model, data, optimiser, seed", help);
    }
}
