using System.Diagnostics;
using System.Text;
using System.Text.Json;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.IO;

/// <summary>
/// tools/torch_interop.py loads a model file into the equivalent torch.nn module with a strict load_state_dict and
/// scores a text; its loss must equal <see cref="CharLanguageModel.Evaluate(string, CharLstm.Data.UnknownMode)"/>'s to 1e-4. Needs /usr/bin/python3
/// with torch (<see cref="Requires.Torch"/>: skipped without it, failed without it under CI).
/// </summary>
public class TorchInteropTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(5, 2)]
    [InlineData(0, 1)] // one-hot input
    public async Task Torch_module_loads_the_file_strictly_and_gives_the_same_eval_loss(int embedding, int layers)
    {
        Requires.Torch();

        using var folder = new TempFolder();
        var corpus = Corpus(Text(3000, 21));
        var trainer = NewTrainer(corpus, Options with { EmbeddingSize = embedding, Layers = layers, MaxSteps = 30 });
        trainer.Run(TestContext.Current.CancellationToken);
        string modelPath = Path.Combine(folder.Path, "model.safetensors");
        TinyRuns.SaveModel(trainer, modelPath);
        string text = Text(800, 77); // same characters, other words: a held-out text
        string textPath = folder.Write("held-out.txt", Encoding.UTF8.GetBytes(text));

        var start = new ProcessStartInfo(Requires.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { Script(), modelPath, textPath }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        Task<string> stdoutTask = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken), stderrTask = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            await process.WaitForExitAsync(timeout.Token);
        string stdout = await stdoutTask, stderr = await stderrTask;
        Assert.True(process.ExitCode == 0, $"torch_interop.py failed ({process.ExitCode}): {stderr}");

        using var json = JsonDocument.Parse(stdout);
        double torchLoss = json.RootElement.GetProperty("loss_nats").GetDouble();
        var ours = CharLanguageModel.Load(modelPath).Evaluate(text).Loss;
        output.WriteLine($"embedding {embedding}, {layers} layer(s): CharLstm {ours.MeanNats:F6} nats/char over {ours.Count} characters; PyTorch {torchLoss:F6} (torch {json.RootElement.GetProperty("torch").GetString()}); difference {Math.Abs(ours.MeanNats - torchLoss):E2}");
        Assert.Equal(ours.Count, json.RootElement.GetProperty("scored").GetInt64());
        Assert.True(Math.Abs(ours.MeanNats - torchLoss) < 1e-4, $"CharLstm {ours.MeanNats} vs PyTorch {torchLoss}");
    }

    private static string Script()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string script = Path.Combine(folder.FullName, "tools", "torch_interop.py");
            if (File.Exists(script)) return script;
        }
        throw new FileNotFoundException("tools/torch_interop.py not found above " + AppContext.BaseDirectory);
    }
}
