using System.Globalization;
using System.Text;
using System.Text.Json;
using CharLstm.IO;
using CharLstm.Training;

namespace CharLstm.Cli.Commands.Train;

/// <summary>The files of one training run: models, checkpoint, metrics, configuration and loss plots.</summary>
internal sealed class RunFolder(string path)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string Path { get; } = path;
    public string Best => System.IO.Path.Combine(Path, "best.safetensors");
    public string Last => System.IO.Path.Combine(Path, "last.safetensors");
    public string Checkpoint => System.IO.Path.Combine(Path, "last.checkpoint.safetensors");
    public string Metrics => System.IO.Path.Combine(Path, "metrics.csv");
    public string Config => System.IO.Path.Combine(Path, "config.json");
    public string PlotPng => System.IO.Path.Combine(Path, "loss.png");
    public string PlotSvg => System.IO.Path.Combine(Path, "loss.svg");

    public bool HoldsRun => File.Exists(Checkpoint) || File.Exists(Last) || File.Exists(Best);

    /// <summary>The files of a folder that is not a run (none when it is missing, empty or a run): what a new run must not replace.</summary>
    public IReadOnlyList<string> ForeignFiles => !Directory.Exists(Path) || HoldsRun ? []
        : [.. Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName).OfType<string>()
            .Where(n => !AtomicFile.IsTemporaryName(n)).Order()];

    /// <summary>The run's files that exist, for the closing line.</summary>
    public IEnumerable<string> Written => new[] { Best, Last, Checkpoint, Metrics, Config, PlotPng, PlotSvg }
        .Where(File.Exists).Select(f => System.IO.Path.GetFileName(f)!);

    public void WriteConfig(TrainingOptions options, Model.ModelConfig model, string corpusName, string corpusSha256, long corpusChars, int parameterCount)
    {
        var doc = new Dictionary<string, object>
        {
            ["tool_version"] = ToolInfo.Version,
            ["corpus"] = new Dictionary<string, object> { ["name"] = corpusName, ["sha256"] = corpusSha256, ["characters"] = corpusChars },
            ["model"] = new Dictionary<string, object>
            {
                ["vocab_size"] = model.VocabSize, ["embedding_size"] = model.EmbeddingSize, ["hidden_size"] = model.HiddenSize,
                ["layers"] = model.Layers, ["dropout"] = model.Dropout, ["parameters"] = parameterCount,
            },
            ["training"] = OptionsJson.Element(options),
        };
        string json = JsonSerializer.Serialize(doc, Indented);
        AtomicFile.Write(Config, s => s.Write(Encoding.UTF8.GetBytes(json + "\n")));
    }

    /// <summary>
    /// The metrics log. Its epoch column counts from 1, as the console's "epoch 1" does; the trainer and
    /// the checkpoint keep the 0-based epoch.
    /// </summary>
    public void WriteMetrics(IReadOnlyList<MetricRow> rows)
    {
        var sb = new StringBuilder("step,epoch,chars_seen,elapsed_s,lr,train_loss,grad_norm,val_loss,val_bpc\n");
        static string F(double x) => double.IsNaN(x) ? "" : x.ToString("G6", CultureInfo.InvariantCulture);
        foreach (var r in rows)
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Step},{r.Epoch + 1},{r.CharactersSeen},{r.ElapsedSeconds:F1},{F(r.LearningRate)},{F(r.TrainLoss)},{F(r.GradientNorm)},"
                + $"{F(r.ValidationLoss)},{F(r.ValidationLoss / Math.Log(2))}\n");
        AtomicFile.Write(Metrics, s => s.Write(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>Train and validation loss against characters seen, as PNG and SVG.</summary>
    public void WritePlot(IReadOnlyList<MetricRow> rows, string title, int vocabSize)
    {
        var train = rows.Where(r => double.IsFinite(r.TrainLoss)).ToArray();
        var val = rows.Where(r => double.IsFinite(r.ValidationLoss)).ToArray();
        if (train.Length == 0 && val.Length == 0) return;
        // The loss axis ends at three times an untrained model's loss (ln V) or at the highest value,
        // whichever is lower; a diverged run's values above it are drawn at it, so the axis keeps
        // readable numbers and the curves stay visible.
        double highest = train.Select(r => r.TrainLoss).Concat(val.Select(r => r.ValidationLoss)).Max();
        double top = Math.Min(highest, 3 * Math.Log(Math.Max(vocabSize, 2)));
        bool clipped = highest > top;
        double Clip(double loss) => Math.Min(loss, top);
        var plot = new ScottPlot.Plot();
        // ScottPlot picks a serif face by default and draws nothing where no font is installed; DejaVu Sans ships with fonts-dejavu-core.
        plot.Font.Set("DejaVu Sans");
        if (train.Length > 0)
        {
            var s = plot.Add.Scatter(train.Select(r => (double)r.CharactersSeen).ToArray(), train.Select(r => Clip(r.TrainLoss)).ToArray());
            s.LegendText = "train";
            s.MarkerSize = 0;
            s.LineWidth = 2;
        }
        if (val.Length > 0)
        {
            var s = plot.Add.Scatter(val.Select(r => (double)r.CharactersSeen).ToArray(), val.Select(r => Clip(r.ValidationLoss)).ToArray());
            s.LegendText = "validation";
            s.MarkerSize = 5;
            s.LineWidth = 2;
        }
        plot.Axes.SetLimitsY(0, top * 1.05);
        if (clipped) title += $" (losses above {top:F1} drawn at {top:F1})";
        plot.Title(title);
        plot.XLabel("characters seen");
        plot.YLabel("loss (nats per character)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        // Rendered in memory and written through AtomicFile like every other file of the run.
        byte[] png = plot.GetImage(900, 540).GetImageBytes(ScottPlot.ImageFormat.Png);
        string svg = plot.GetSvgXml(900, 540);
        AtomicFile.Write(PlotPng, s => s.Write(png));
        AtomicFile.Write(PlotSvg, s => s.Write(Encoding.UTF8.GetBytes(svg)));
    }
}
