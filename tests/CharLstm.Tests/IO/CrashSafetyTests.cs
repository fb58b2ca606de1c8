using System.Diagnostics;
using CharLstm.IO;

namespace CharLstm.Tests.IO;

/// <summary>
/// Kills a process that saves a model and checkpoint in a loop (tests/CharLstm.SaveChild) at random moments, many
/// times, and checks after each kill that the files are whole and no newer than allowed, and that what is left
/// over is only AtomicFile temporaries, which no loader or locator mistakes for a model and the next run removes.
/// </summary>
public class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Kills = 30;

    [Fact]
    public async Task Killed_mid_save_leaves_the_previous_files_loadable_and_only_recognisable_temporaries()
    {
        string child = ChildPath();
        using var folder = new TempFolder();
        string modelPath = Path.Combine(folder.Path, "last.safetensors"), checkpointPath = Path.Combine(folder.Path, "last.checkpoint.safetensors");
        var random = new Random(99);
        long lastCompleted = 0, round = 1;
        int withTemporaries = 0, maxTemporaries = 0;
        var stopwatch = Stopwatch.StartNew();

        for (int kill = 0; kill < Kills; kill++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { child, folder.Path, round.ToString() }) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var saved = new List<long>();
            var firstSave = new TaskCompletionSource();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("saved ", StringComparison.Ordinal) != true) return;
                lock (saved) saved.Add(long.Parse(e.Data[6..]));
                firstSave.TrySetResult();
            };
            process.BeginOutputReadLine();
            Task<string> stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            if (await Task.WhenAny(firstSave.Task, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)) != firstSave.Task)
            {
                process.Kill();
                Assert.Fail($"the child saved nothing in 60 s: {await stderr}");
            }
            await Task.Delay(random.Next(0, 120), TestContext.Current.CancellationToken); // a few rounds at most: the kill lands at a random point of some save
            process.Kill();
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            lock (saved)
            {
                lastCompleted = saved[^1];
                round = saved[^1] + 1000; // the next child's rounds never repeat this one's
            }

            // The files hold whole rounds, at least as new as the last one the child reported complete.
            var checkpoint = CheckpointFile.Load(checkpointPath);
            var model = CharLanguageModel.Load(modelPath);
            Assert.True(checkpoint.Step >= lastCompleted, $"kill {kill}: checkpoint of round {checkpoint.Step} but round {lastCompleted} was complete");
            Assert.True(model.Summary!.Steps >= lastCompleted, $"kill {kill}: model of round {model.Summary.Steps} but round {lastCompleted} was complete");
            // The checkpoint is written first, so the model is of the same round or one behind.
            Assert.True(model.Summary.Steps == checkpoint.Step || model.Summary.Steps == checkpoint.Step - 1, $"kill {kill}: model {model.Summary.Steps}, checkpoint {checkpoint.Step}");
            Assert.Equal(Pattern(checkpoint.Parameters.Length, checkpoint.Step), checkpoint.Parameters);
            Assert.Equal(Pattern(model.Network.Parameters.Length, model.Summary.Steps), model.Network.Parameters);

            string[] others = [.. Directory.GetFiles(folder.Path).Select(Path.GetFileName).Where(n => n is not ("last.safetensors" or "last.checkpoint.safetensors"))!];
            foreach (string name in others)
            {
                Assert.True(AtomicFile.IsTemporaryName(name), $"kill {kill}: unexpected file '{name}'");
                Assert.False(name.EndsWith(".safetensors", StringComparison.Ordinal), $"kill {kill}: '{name}' looks like a model file");
            }
            withTemporaries += others.Length > 0 ? 1 : 0;
            maxTemporaries = Math.Max(maxTemporaries, others.Length); // each child removes what the one before left
        }

        output.WriteLine($"{Kills} kills in {stopwatch.Elapsed.TotalSeconds:F1} s; last complete round {lastCompleted}; {withTemporaries} kills left a temporary, at most {maxTemporaries} at once");
        Assert.True(maxTemporaries <= 2, $"temporaries piled up: {maxTemporaries}");
        // A later run's cleanup removes every leftover.
        AtomicFile.CleanStaleTemporaries(folder.Path, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal(["last.checkpoint.safetensors", "last.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>SaveChildPattern.Fill of the child.</summary>
    private static float[] Pattern(int length, long round)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)((round * 7919 + i) % 10007) * 1e-4f;
        return values;
    }

    /// <summary>The child's assembly, built beside the tests' own output (same configuration and framework).</summary>
    private static string ChildPath()
    {
        string baseDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string path = Path.Combine(baseDirectory.Replace($"{Path.DirectorySeparatorChar}CharLstm.Tests{Path.DirectorySeparatorChar}", $"{Path.DirectorySeparatorChar}CharLstm.SaveChild{Path.DirectorySeparatorChar}"), "CharLstm.SaveChild.dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"Build tests/CharLstm.SaveChild first (the test project references it); looked for {path}.");
        return path;
    }
}
