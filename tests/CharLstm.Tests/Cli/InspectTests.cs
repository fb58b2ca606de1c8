using System.Security.Cryptography;
using System.Text.Json;

namespace CharLstm.Tests.Cli;

/// <summary>One short run with step-numbered checkpoints (--keep), shared by the inspect tests that read it.</summary>
public sealed class KeptRunFixture : IDisposable
{
    public KeptRunFixture()
    {
        Cli = new CliRunner();
        Cli.WriteCorpus(sentences: 40);
        Train = Cli.Run("train", "corpus.txt", "--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--max-steps", "30",
            "--eval-interval", "10", "--sample-length", "0", "--keep", "2", "--threads", "1", "--out", "k", "--plain");
        CorpusSha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Cli.PathOf("corpus.txt"))));
    }

    public CliRunner Cli { get; }
    public CliRunner.Result Train { get; }
    public string CorpusSha256 { get; }
    public void Dispose() => Cli.Dispose();
}

/// <summary>
/// <c>charlstm inspect</c> of training checkpoints (a run folder with --checkpoint, the last checkpoint's file, a
/// step-numbered one), told from model files by their metadata; model files show as they always did.
/// </summary>
public sealed class InspectTests(KeptRunFixture run, ITestOutputHelper output) : IClassFixture<KeptRunFixture>
{
    private CliRunner Cli => run.Cli;

    private CliRunner.Result Inspect(params string[] args)
    {
        var r = Cli.Run(["inspect", .. args]);
        output.WriteLine(r.All);
        return r;
    }

    private static List<string> Keys(JsonElement e)
    {
        var keys = new List<string>();
        void Collect(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Object)
                foreach (var p in x.EnumerateObject()) { keys.Add(p.Name); Collect(p.Value); }
            else if (x.ValueKind == JsonValueKind.Array)
                foreach (var item in x.EnumerateArray()) Collect(item);
        }
        Collect(e);
        return keys;
    }

    private static string Line(string text, string label) => Assert.Single(text.Split('\n'), l => l.StartsWith(label, StringComparison.Ordinal));

    [Fact]
    public void A_run_folder_with_checkpoint_shows_where_the_run_stands_and_how_to_resume_it()
    {
        Assert.Equal(0, run.Train.ExitCode);
        var r = Inspect("k", "--checkpoint");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        string text = r.Stdout;
        Assert.Equal(Path.Combine("k", "last.checkpoint.safetensors"), Line(text, "file:")["file:".Length..].Trim());
        Assert.Matches(@"^checkpoint:  step 30, epoch \d+ of 50; 1,920 characters seen in \d+\.\ds of training$", Line(text, "checkpoint:"));
        // The best validation loss the run printed when it stopped.
        string best = System.Text.RegularExpressions.Regex.Match(run.Train.Stdout, @"best validation loss (\d+\.\d{4}) nats/char").Groups[1].Value;
        Assert.StartsWith($"best val:    {best} nats/char", Line(text, "best val:"));
        Assert.Equal($"corpus:      corpus.txt (sha256 {run.CorpusSha256[..12]})", Line(text, "corpus:"));
        Assert.Contains("1 LSTM layer(s) × 16 units, input embedding 64, dropout 0.1;", Line(text, "model:"));
        Assert.Contains("batch 4 × seq-len 16; the last 10% of the text kept for validation", Line(text, "batches:"));
        Assert.StartsWith("optimizer:   adam, lr 0.004, wsd schedule (100 warm-up steps, held, then down to 0.1 × lr over the last 0.2 of the run), clip 5",
            Line(text, "optimizer:"));
        Assert.Equal("length:      50 epochs (--epochs) or 30 steps (--max-steps), whichever comes first", Line(text, "length:"));
        Assert.Contains("every 10 steps", Line(text, "evaluation:"));
        Assert.Equal("text:        strict UTF-8, case kept, line endings kept", Line(text, "text:"));
        Assert.Equal("seed:        1337 (1 thread)", Line(text, "seed:"));
        // The vocabulary as the model view shows it.
        Assert.Equal(Line(Inspect("k").Stdout, "vocabulary:"), Line(text, "vocabulary:"));
        Assert.Equal("resume:      charlstm train --resume k corpus.txt", Line(text, "resume:"));
        Assert.Contains("the run has reached its --max-steps (30)", text); // resuming as it is would have nothing to do
        Assert.DoesNotContain("copy this file over it", text);
    }

    [Fact]
    public void Json_holds_the_same_with_snake_case_keys_and_the_epoch_of_metrics_csv()
    {
        var r = Inspect("k", "--checkpoint", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var j = doc.RootElement;
        Assert.All(Keys(j), k => Assert.Matches("^[a-z0-9_]+$", k));
        Assert.Equal("charlstm.checkpoint", j.GetProperty("format").GetString());
        Assert.Equal(30, j.GetProperty("step").GetInt64());
        Assert.Equal(30 * 4 * 16, j.GetProperty("characters_seen").GetInt64());
        Assert.True(j.GetProperty("elapsed_seconds").GetDouble() > 0);
        Assert.Equal("corpus.txt", j.GetProperty("corpus_name").GetString());
        Assert.Equal(run.CorpusSha256, j.GetProperty("corpus_sha256").GetString());
        var options = j.GetProperty("options");
        Assert.Equal(4, options.GetProperty("batch").GetInt32());
        Assert.Equal(16, options.GetProperty("seq_len").GetInt32());
        Assert.Equal(16, options.GetProperty("hidden_size").GetInt32());
        Assert.Equal("adam", options.GetProperty("optimizer").GetString());
        Assert.Equal(0.004, options.GetProperty("learning_rate").GetDouble());
        Assert.Equal(30, options.GetProperty("max_steps").GetInt64());
        Assert.Equal(1337UL, options.GetProperty("seed").GetUInt64());
        Assert.False(options.GetProperty("text").GetProperty("lowercase").GetBoolean());
        Assert.Equal("charlstm train --resume k corpus.txt", j.GetProperty("resume_command").GetString());
        Assert.True(j.GetProperty("resume_command_reads_this_file").GetBoolean());
        Assert.Equal("its --max-steps (30)", j.GetProperty("limit_reached").GetString());

        // The same run through the model's own view: one vocabulary, one best loss.
        using var model = JsonDocument.Parse(Inspect("k", "--json").Stdout);
        Assert.Equal(model.RootElement.GetProperty("vocabulary").EnumerateArray().Select(e => e.GetString()),
            j.GetProperty("vocabulary").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(model.RootElement.GetProperty("vocab_size").GetInt32(), j.GetProperty("vocab_size").GetInt32());
        Assert.Equal(model.RootElement.GetProperty("training").GetProperty("best_val_loss").GetDouble(), j.GetProperty("best_val_loss").GetDouble());
        // The epoch counts as metrics.csv does, which counts as the console does.
        var last = File.ReadAllLines(Cli.PathOf("k/metrics.csv")).Single(l => l.StartsWith("30,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(int.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture), j.GetProperty("epoch").GetInt32());
    }

    [Fact]
    public void A_step_numbered_checkpoint_is_shown_with_how_to_resume_from_it()
    {
        var r = Inspect(Path.Combine("k", "step-00000020.checkpoint.safetensors"));
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("checkpoint:  step 20, ", Line(r.Stdout, "checkpoint:"));
        Assert.Equal("resume:      charlstm train --resume k corpus.txt", Line(r.Stdout, "resume:"));
        Assert.Contains($"that continues from {Path.Combine("k", "last.checkpoint.safetensors")}; to continue from step 20, "
            + "copy this file over it first", r.Stdout);
        Assert.DoesNotContain("has reached", r.Stdout);
        using var json = JsonDocument.Parse(Inspect(Path.Combine("k", "step-00000020.checkpoint.safetensors"), "--json").Stdout);
        Assert.Equal(20, json.RootElement.GetProperty("step").GetInt64());
        Assert.False(json.RootElement.GetProperty("resume_command_reads_this_file").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("limit_reached").ValueKind);
    }

    [Fact]
    public void Files_are_told_apart_by_their_format_not_their_name()
    {
        File.Copy(Cli.PathOf("k/last.checkpoint.safetensors"), Cli.PathOf("renamed.safetensors"), overwrite: true);
        File.Copy(Cli.PathOf("k/best.safetensors"), Cli.PathOf("model.checkpoint.safetensors"), overwrite: true);
        var checkpoint = Inspect("renamed.safetensors");
        Assert.Equal(0, checkpoint.ExitCode);
        Assert.StartsWith("checkpoint:  step 30, ", Line(checkpoint.Stdout, "checkpoint:"));
        Assert.Contains($"(that continues from {Path.Combine(".", "last.checkpoint.safetensors")}; to continue from step 30, copy this file over it first)",
            checkpoint.Stdout);
        var model = Inspect("model.checkpoint.safetensors");
        Assert.Equal(0, model.ExitCode);
        Assert.DoesNotContain("checkpoint:", model.Stdout);
        Assert.Contains("lstm.weight_hh_l0", model.Stdout);
    }

    [Fact]
    public void A_model_is_shown_as_before_and_is_refused_as_a_checkpoint()
    {
        var folder = Inspect("k");
        Assert.Equal(0, folder.ExitCode);
        Assert.Equal($"file:        {Path.Combine("k", "best.safetensors")}", Line(folder.Stdout, "file:"));
        Assert.Equal("model:       1 LSTM layer(s) × 16 units, input embedding 64, dropout 0.1", Line(folder.Stdout, "model:"));
        Assert.StartsWith("parameters:  ", Line(folder.Stdout, "parameters:"));
        Assert.StartsWith("progress:    30 steps, 1,920 characters seen", Line(folder.Stdout, "progress:"));
        Assert.DoesNotContain("resume:", folder.Stdout);
        using var json = JsonDocument.Parse(Inspect(Path.Combine("k", "last.safetensors"), "--json").Stdout);
        Assert.Equal(16, json.RootElement.GetProperty("hidden_size").GetInt32());
        Assert.False(json.RootElement.TryGetProperty("format", out _));

        var refused = Inspect(Path.Combine("k", "best.safetensors"), "--checkpoint");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("has format 'charlstm.model', expected 'charlstm.checkpoint'", refused.Stderr);
        Directory.CreateDirectory(Cli.PathOf("empty"));
        var none = Inspect("empty", "--checkpoint");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("--checkpoint: the folder 'empty' holds no last.checkpoint.safetensors", none.Stderr);
    }

    [Fact]
    public void The_resume_command_shown_continues_the_run()
    {
        // A copy, so the other tests keep reading the run as it stopped.
        Directory.CreateDirectory(Cli.PathOf("again"));
        foreach (string f in Directory.GetFiles(Cli.PathOf("k"))) File.Copy(f, Path.Combine(Cli.PathOf("again"), Path.GetFileName(f)));
        using var json = JsonDocument.Parse(Inspect("again", "--checkpoint", "--json").Stdout);
        string command = json.RootElement.GetProperty("resume_command").GetString()!;
        Assert.Equal("charlstm train --resume again corpus.txt", command);
        var resumed = Cli.Run([.. command.Split(' ').Skip(1), "--max-steps", "35", "--plain"]);
        output.WriteLine(resumed.All);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("resuming again/ at step 30", resumed.Stdout);
        Assert.StartsWith("checkpoint:  step 35, ", Line(Inspect("again", "--checkpoint").Stdout, "checkpoint:"));
    }
}
