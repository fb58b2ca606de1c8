using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace CharLstm.Tests.Cli;

/// <summary>
/// bench/quality.py end to end on a tiny text and a few seconds a side: both trainers run, both final models are
/// scored by `charlstm eval`, and the report and the plot are written. Needs /usr/bin/python3 with torch and
/// matplotlib (<see cref="Requires"/>: skipped without them, failed without them under CI).
/// </summary>
public sealed class QualityScriptTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Quality_runs_both_trainers_for_the_same_time_and_reports_what_charlstm_eval_says_of_each()
    {
        Requires.Torch();
        Requires.Matplotlib();
        _cli.WriteCorpus(sentences: 800);
        string prompt = File.ReadAllText(_cli.PathOf("corpus.txt"))[..6];
        const string recipe = "--batch 8 --seq-len 32 --warmup 5";
        var start = new ProcessStartInfo(Requires.Python)
        {
            WorkingDirectory = _cli.Folder, RedirectStandardOutput = true, RedirectStandardError = true, StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in new[] { Path.Combine(Repository.Root(), "bench", "quality.py"), "corpus.txt", "--minutes", "0.05", "--out", "q",
                     "--cli", Path.Combine(AppContext.BaseDirectory, "CharLstm.Cli.dll"), "--peer-setting", "1,1", "--sample-length", "40", "--prompt", prompt,
                     "--ours-args", $"--layers 1 --hidden 24 --embedding 8 --dropout 0 {recipe}", "--peer-args", recipe })
            start.ArgumentList.Add(a);
        start.Environment["CHARLSTM_CACHE"] = _cli.PathOf("cache");
        using (var process = Process.Start(start)!)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            string stderr = await process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            output.WriteLine(stderr);
            Assert.True(process.ExitCode == 0, (await stdout) + stderr);
        }

        using var report = JsonDocument.Parse(File.ReadAllText(_cli.PathOf("q/quality.json")));
        var run = report.RootElement.GetProperty("runs").GetProperty("0.05");
        var ours = run.GetProperty("ours");
        var peer = run.GetProperty("peer");
        foreach (var r in new[] { ours, peer })
        {
            Assert.True(r.GetProperty("steps").GetInt64() > 0);
            Assert.InRange(r.GetProperty("eval").GetDouble(), 0.1, Math.Log(200));
            Assert.True(r.GetProperty("curve").GetArrayLength() > 0);
        }
        // The peer trained the model our run chose (here the one typed): 1×24 over an 8-wide embedding.
        var peerModel = CharLstm.IO.ModelFile.Load(_cli.PathOf(peer.GetProperty("model").GetString()!)).Network.Config;
        Assert.Equal((1, 24, 8), (peerModel.Layers, peerModel.HiddenSize, peerModel.EmbeddingSize));
        // Its own final figure, scored as charlstm train scores validation, is the last point of its curve.
        var last = peer.GetProperty("curve")[peer.GetProperty("curve").GetArrayLength() - 1];
        Assert.Equal(peer.GetProperty("final_stream_val").GetDouble(), last[2].GetDouble(), 6);

        byte[] png = File.ReadAllBytes(_cli.PathOf("q/quality-loss.png"));
        Assert.True(png.Length > 1000 && png.AsSpan(1, 3).SequenceEqual("PNG"u8), "quality-loss.png is not a PNG");
        string md = File.ReadAllText(_cli.PathOf("q/quality.md"));
        Assert.Contains("| 0.05 min | CharLstm |", md);
        Assert.Contains("| 0.05 min | PyTorch |", md);
        Assert.Contains("| 0.05 min | gap (peer − ours) |", md);
        Assert.Contains("temperature 0.5", md);
    }
}
