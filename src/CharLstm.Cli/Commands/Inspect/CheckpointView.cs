using System.Globalization;
using System.Text.Json;
using CharLstm.Cli.Commands.Train;
using CharLstm.Data;
using CharLstm.IO;
using CharLstm.Training;

namespace CharLstm.Cli.Commands.Inspect;

/// <summary>
/// <c>charlstm inspect</c> of a training checkpoint: what someone about to resume the run wants to know. Where it
/// stands (step, epoch, characters seen, training time, best validation loss), what it was trained on, the options it
/// keeps, its vocabulary, and the command that continues it.
/// </summary>
internal static class CheckpointView
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <param name="file">The checkpoint file.</param>
    /// <param name="folder">The run folder it belongs to, as the user named it (or the file's folder).</param>
    /// <param name="json">Print JSON instead of text.</param>
    public static void Show(string file, string folder, bool json)
    {
        var cp = CheckpointFile.Load(file);
        var o = cp.Options;
        var vocabulary = Vocabulary.FromStrings(cp.Vocabulary);
        // The resume reads the folder's last checkpoint; a step-numbered one (--keep) must be copied over it first.
        bool resumesThisFile = Path.GetFullPath(file) == Path.GetFullPath(Path.Combine(folder, CheckpointRotation.LastCheckpointName));
        string resume = ResumeCommand(folder, cp);
        bool defaultCorpus = cp.CorpusSha256 == DefaultCorpus.Sha256;
        double? best = double.IsFinite(cp.BestValidationLoss) ? cp.BestValidationLoss : null;
        // The checkpoint keeps the epoch of its next batch, from 0; the console and metrics.csv count the epoch of the last step from 1.
        int epoch = cp.BatchIndex > 0 ? cp.Epoch + 1 : Math.Max(1, cp.Epoch);
        string? reached = LimitReached(cp);
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["file"] = file, ["format"] = CheckpointFile.FormatName,
                ["step"] = cp.Step, ["epoch"] = epoch, ["epochs_completed"] = cp.Epoch, ["characters_seen"] = cp.CharactersSeen,
                ["elapsed_seconds"] = cp.ElapsedSeconds, ["skipped_steps"] = cp.SkippedSteps, ["best_val_loss"] = best,
                ["corpus_name"] = cp.CorpusName, ["corpus_sha256"] = cp.CorpusSha256,
                ["parameters"] = cp.Parameters.Length,
                ["options"] = OptionsJson.Element(o),
                ["vocab_size"] = vocabulary.Size, ["vocabulary"] = cp.Vocabulary,
                ["resume_command"] = resume, ["resume_command_reads_this_file"] = resumesThisFile, ["limit_reached"] = reached,
            }, Indented));
            return;
        }
        var c = cp.Config;
        Console.WriteLine($"file:        {file}");
        Console.WriteLine($"checkpoint:  step {cp.Step:N0}, epoch {epoch} of {o.Epochs}{(cp.BatchIndex == 0 ? " done" : "")}; "
            + $"{Counted(cp.CharactersSeen, "character")} seen in {Duration(cp.ElapsedSeconds)} of training"
            + (cp.SkippedSteps > 0 ? $"; {Counted(cp.SkippedSteps, "step")} skipped (non-finite)" : ""));
        Console.WriteLine(best is { } b ? $"best val:    {b:F4} nats/char ({b / Math.Log(2):F4} bits/char)"
            : o.ValFraction > 0 ? "best val:    none yet" : "best val:    none (no validation split)");
        Console.WriteLine($"corpus:      {cp.CorpusName} (sha256 {cp.CorpusSha256[..Math.Min(12, cp.CorpusSha256.Length)]})");
        Console.WriteLine($"model:       {c.Layers} LSTM layer(s) × {c.HiddenSize} units, input "
            + $"{(c.OneHot ? "one-hot" : $"embedding {c.EmbeddingSize}")}, dropout {Number(c.Dropout)}; {cp.Parameters.Length:N0} parameters");
        Console.WriteLine($"batches:     batch {o.Batch} × seq-len {o.SeqLen}; "
            + (o.ValFraction > 0 ? $"the last {Number(Math.Round(100 * o.ValFraction, 6))}% of the text kept for validation" : "no validation split"));
        Console.WriteLine($"optimizer:   {Optimizer(o)}");
        Console.WriteLine($"length:      {Length(o)}");
        Console.WriteLine($"evaluation:  {Evaluation(o)}");
        Console.WriteLine($"text:        {Text(o.Text)}");
        Console.WriteLine($"seed:        {o.Seed} ({Counted(o.Threads, "thread")})");
        string shown = string.Concat(vocabulary.Scalars.ToArray().Select(TextScalars.Show));
        Console.WriteLine($"vocabulary:  {Counted(vocabulary.Size, "character")}: {shown}");
        Console.WriteLine($"resume:      {resume}");
        if (!defaultCorpus)
            Console.WriteLine($"             ({cp.CorpusName} stands for the corpus as the run was given it, its path or URL; the resume checks its sha256)");
        if (!resumesThisFile)
            Console.WriteLine($"             (that continues from {Path.Combine(folder, CheckpointRotation.LastCheckpointName)}; "
                + $"to continue from step {cp.Step:N0}, copy this file over it first)");
        if (reached is not null)
            Console.WriteLine($"             (the run has reached {reached}: add a larger --max-steps, more --epochs, or --time to go on)");
    }

    // The command that continues the run, as 'charlstm train' prints it when it stops: the corpus (left out for the
    // default corpus, which train finds by itself) and the text options.
    private static string ResumeCommand(string folder, TrainingCheckpoint cp)
    {
        var parts = new List<string> { "charlstm", "train", "--resume", folder };
        if (cp.CorpusSha256 != DefaultCorpus.Sha256) parts.Add(cp.CorpusName);
        if (cp.Options.Text.Lowercase) parts.Add("--lowercase");
        if (cp.Options.Text.NormalizeNewlines) parts.Add("--normalize-newlines");
        if (cp.Options.Text.InvalidUtf8 == InvalidUtf8Mode.Replace) parts.AddRange(["--invalid-utf8", "replace"]);
        static string Quoted(string p) => p.Length == 0 || p.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '$' or '`' or '\\')
            ? $"'{p.Replace("'", "'\\''", StringComparison.Ordinal)}'" : p;
        return string.Join(' ', parts.Select(Quoted));
    }

    private static string Optimizer(TrainingOptions o)
    {
        var parts = new List<string> { $"{o.Optimizer}, lr {Number(o.LearningRate)}" };
        if (o.Optimizer == "sgd") parts.Add($"momentum {Number(o.Momentum)}");
        if (o.WeightDecay > 0) parts.Add($"weight decay {Number(o.WeightDecay)}");
        parts.Add(o.Schedule switch
        {
            ScheduleKind.Constant => "constant schedule",
            ScheduleKind.Step => $"step schedule (× {Number(o.DecayFactor)} every {Counted(o.DecayEvery, "step")})",
            ScheduleKind.Wsd => $"wsd schedule ({Counted(o.WarmupSteps, "warm-up step")}, held, then down to {Number(o.MinLearningRateFraction)} × lr "
                + $"over the last {Number(o.DecayFraction)} of the run)",
            _ => $"cosine schedule ({Counted(o.WarmupSteps, "warm-up step")}, down to {Number(o.MinLearningRateFraction)} × lr)",
        });
        parts.Add(o.Clip > 0 ? $"clip {Number(o.Clip)}" : "no clip");
        return string.Join(", ", parts);
    }

    private static string Length(TrainingOptions o)
    {
        var limits = new List<string> { $"{Counted(o.Epochs, "epoch")} (--epochs)" };
        if (o.MaxSteps > 0) limits.Add($"{Counted(o.MaxSteps, "step")} (--max-steps)");
        if (o.TimeBudget is { } t) limits.Add($"{ProgressView.Format(t)} of training (--time)");
        return string.Join(" or ", limits) + (limits.Count > 1 ? ", whichever comes first" : "");
    }

    // The limit a resume as it is would stop at before its first step ('charlstm train' refuses such a resume), or null.
    private static string? LimitReached(TrainingCheckpoint cp)
    {
        var o = cp.Options;
        return o.MaxSteps > 0 && cp.Step >= o.MaxSteps ? $"its --max-steps ({o.MaxSteps:N0})"
            : cp.Epoch >= o.Epochs ? $"its --epochs ({o.Epochs})"
            : o.TimeBudget is { } budget && cp.ElapsedSeconds >= budget.TotalSeconds ? $"its --time ({ProgressView.Format(budget)})"
            : null;
    }

    private static string Duration(double seconds) =>
        seconds < 60 ? $"{seconds.ToString("F1", CultureInfo.InvariantCulture)}s" : ProgressView.Format(TimeSpan.FromSeconds(seconds));

    private static string Evaluation(TrainingOptions o)
    {
        string when = o.EvalInterval > 0 ? $"every {Counted(o.EvalInterval, "step")} and at each epoch's end" : "at each epoch's end";
        string what = o.EvalChars > 0 ? $"at most {Counted(o.EvalChars, "validation character")}" : "all validation characters";
        string samples = o.SampleLength == 0 || o.SampleTemperatures.Length == 0 ? "no samples"
            : $"samples of {Counted(o.SampleLength, "character")} at temperature {string.Join(", ", o.SampleTemperatures.Select(t => Number(t)))}"
                + (o.SampleAtEval ? " at every evaluation" : " at each epoch's end");
        return $"{when}, on {what}; {samples}";
    }

    private static string Text(CorpusOptions t) =>
        $"{(t.InvalidUtf8 == InvalidUtf8Mode.Replace ? "invalid UTF-8 replaced" : "strict UTF-8")}, "
        + $"{(t.Lowercase ? "lower-cased" : "case kept")}, {(t.NormalizeNewlines ? "newlines normalised" : "line endings kept")}";

    private static string Number(double x) => x.ToString(CultureInfo.InvariantCulture);

    private static string Number(float x) => x.ToString(CultureInfo.InvariantCulture);

    private static string Counted(long n, string noun) => $"{n:N0} {noun}{(n == 1 ? "" : "s")}";
}
