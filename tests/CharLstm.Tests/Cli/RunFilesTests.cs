using System.Text.Json;
using System.Text.RegularExpressions;

namespace CharLstm.Tests.Cli;

/// <summary>
/// The files and lines of a training run read the way the console reads: epochs counted from 1 in
/// metrics.csv as on screen, and one spelling (snake_case) for every key of config.json.
/// </summary>
public sealed class RunFilesTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();
    public void Dispose() => _cli.Dispose();

    private static readonly string[] Tiny = ["--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--sample-length", "0",
        "--threads", "1", "--plain"];

    [Fact]
    public void Metrics_csv_counts_epochs_from_1_as_the_console_does()
    {
        _cli.WriteCorpus(sentences: 40);
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--epochs", "2", "--eval-interval", "0", "--out", "e"]);
        output.WriteLine(r.All);
        Assert.Equal(0, r.ExitCode);
        var rows = File.ReadAllLines(_cli.PathOf("e/metrics.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal("1", rows[0][1]);
        // The console's "epoch N done, step S" and the metrics row of step S name the same epoch.
        var ends = Regex.Matches(r.Stdout, @"epoch (\d+) done, step (\d+):");
        Assert.Equal(2, ends.Count);
        foreach (Match end in ends)
            Assert.Equal(end.Groups[1].Value, Assert.Single(rows, row => row[0] == end.Groups[2].Value)[1]);
        Assert.Equal("2", rows[^1][1]);
    }

    [Fact]
    public void Config_json_spells_every_key_in_snake_case()
    {
        _cli.WriteCorpus(sentences: 40);
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "3", "--time", "1h", "--lowercase", "--out", "c"]);
        Assert.Equal(0, r.ExitCode);
        string text = File.ReadAllText(_cli.PathOf("c/config.json"));
        output.WriteLine(text);
        using var config = JsonDocument.Parse(text);
        var keys = new List<string>();
        void Collect(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject()) { keys.Add(p.Name); Collect(p.Value); }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Collect(item);
        }
        Collect(config.RootElement);
        Assert.All(keys, k => Assert.Matches("^[a-z0-9_]+$", k));
        var training = config.RootElement.GetProperty("training");
        Assert.Equal(16, training.GetProperty("hidden_size").GetInt32());
        Assert.Equal(3, training.GetProperty("max_steps").GetInt64());
        Assert.True(training.GetProperty("text").GetProperty("lowercase").GetBoolean());
        Assert.Equal("wsd", training.GetProperty("schedule").GetString());
        Assert.Contains("vocab_size", keys);
    }
}
