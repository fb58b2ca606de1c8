using CharLstm.Data;
using CharLstm.IO;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Training;

namespace CharLstm.Cli.Commands.Train;

/// <summary><c>charlstm train</c>: corpus → vocabulary → batches → model → training → files.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var def = new TrainDefinition();
        return def.Build(r => Guarded.Run("train", () => Run(def, r)));
    }

    private static int Run(TrainDefinition def, ParseResult r)
    {
        // ---- options and the run folder ----
        string? resumeDir = r.GetValue(def.Resume);
        TrainingCheckpoint? checkpoint = null;
        RunFolder folder;
        TrainingOptions options;
        if (resumeDir is not null)
        {
            folder = new RunFolder(resumeDir);
            if (!File.Exists(folder.Checkpoint))
                throw new InputException($"--resume: '{resumeDir}' holds no last.checkpoint.safetensors, so "
                    + $"there is nothing to resume. Name the --out folder of an earlier 'charlstm train' run.");
            AtomicFile.CleanStaleTemporaries(folder.Path);
            checkpoint = CheckpointFile.Load(folder.Checkpoint);
            options = def.ResolveForResume(r, checkpoint.Options);
        }
        else
        {
            options = def.Resolve(r);
            folder = new RunFolder(r.GetValue(def.Out) ?? "");
        }
        int keep = r.GetValue(def.Keep) ?? 0;
        if (keep < 0) throw new UsageException($"--keep must be 0 or more, got {keep}.");

        // ---- 1. the corpus ----
        var corpus = LoadCorpus(r.GetValue(def.Corpus), def.Text.Read(r));
        if (resumeDir is null)
        {
            folder = new RunFolder(r.GetValue(def.Out) ?? Path.Combine("runs", SafeName(corpus.Name)));
            if (folder.HoldsRun && !r.GetValue(def.Overwrite))
                throw new InputException($"'{folder.Path}' already holds a training run. Continue it with --resume {folder.Path}, "
                    + $"choose another --out folder, or pass --overwrite to replace it.");
            Directory.CreateDirectory(folder.Path);
            AtomicFile.CleanStaleTemporaries(folder.Path);
        }

        // ---- 2. vectorise ----
        Vocabulary vocabulary = checkpoint is null ? Vocabulary.Build(corpus.Scalars) : Vocabulary.FromStrings(checkpoint.Vocabulary);
        if (checkpoint is not null && checkpoint.CorpusSha256 != corpus.Sha256)
            throw new InputException($"the run in '{folder.Path}' was trained on '{checkpoint.CorpusName}' (sha256 {checkpoint.CorpusSha256[..12]}…), "
                + $"but the corpus given now is '{corpus.Name}' (sha256 {corpus.Sha256[..12]}…). Pass the original corpus to resume.");
        var encoded = EncodedCorpus.Encode(corpus, vocabulary);

        // ---- 3. the model ----
        var config = options.ModelConfig(vocabulary.Size);
        var network = checkpoint is null ? LstmModel.CreateInitialized(config, new Rng(options.Seed), options.ForgetBiasOne) : new LstmModel(config);
        var model = new CharLanguageModel(network, vocabulary);

        // ---- 4. train ----
        Trainer trainer;
        try { trainer = new Trainer(network, vocabulary, corpus, encoded, options, checkpoint); }
        catch (InvalidOperationException e) { throw new InputException(e.Message); }
        using var disposeTrainer = trainer;
        folder.WriteConfig(options, config, corpus.Name, corpus.Sha256, corpus.Length, network.Parameters.Length);

        var view = ProgressView.Create(r.GetValue(def.Plain));
        view.Line($"corpus: {corpus.Name}, {corpus.Length:N0} characters, {vocabulary.Size} distinct; train {trainer.TrainCharacters:N0} "
            + $"/ validation {trainer.ValidationCharacters:N0}");
        view.Line($"model: {config.Layers}×{config.HiddenSize} LSTM, input {(config.OneHot ? "one-hot" : $"embedding {config.EmbeddingSize}")}, "
            + $"{network.Parameters.Length:N0} parameters; {options.Optimizer} lr {options.LearningRate}, batch {options.Batch}×{options.SeqLen}; "
                + $"{trainer.BatchesPerEpoch:N0} batches per epoch");
        view.Line(checkpoint is null ? $"writing to {folder.Path}/" : $"resuming {folder.Path}/ at step {trainer.Step:N0}");

        trainer.StepCompleted += view.Step;
        trainer.Evaluated += e => view.Line(
            $"{(e.EpochEnd ? "epoch " + (e.Epoch + 1) + " done, " : "")}step {e.Step:N0}: validation loss {e.Loss.MeanNats:F4} "
                + $"nats/char ({e.Loss.BitsPerChar:F4} bits/char) over {e.Loss.Count:N0} characters{(e.IsBest ? " (best so far)" : "")}");
        trainer.Sampled += s => view.Line($"--- sample at temperature {s.Temperature:0.0#} ---\n{s.Prompt}{s.Text}\n");
        trainer.SaveRequested += save =>
        {
            SaveAll(trainer, model, folder, save, corpus, keep);
            if (save.IsBest) view.Line($"saved best model to {folder.Best}");
        };

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish the step, save, then exit 130
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        StopReason reason;
        try { reason = view.Show(() => trainer.Run(cancel.Token)); }
        finally { Console.CancelKeyPress -= onCancel; }

        Console.WriteLine(reason switch
        {
            StopReason.Cancelled => $"interrupted at step {trainer.Step:N0}; saved {folder.Checkpoint}. Continue with: charlstm train --resume {folder.Path}",
            StopReason.NonFinite => $"stopped: {options.MaxConsecutiveSkips} steps in a row had a non-finite loss "
                + $"or gradient. The last good state is in {folder.Checkpoint}; try a lower --lr or --clip.",
            StopReason.TimeBudget => $"time budget used after {trainer.Step:N0} steps.",
            StopReason.MaxSteps => $"reached --max-steps {options.MaxSteps:N0}.",
            _ => $"finished {options.Epochs} epoch(s).",
        });
        if (!double.IsNaN(trainer.BestValidationLoss))
            Console.WriteLine($"best validation loss {trainer.BestValidationLoss:F4} nats/char ({trainer.BestValidationLoss / Math.Log(2):F4} "
                + $"bits/char); model: {(File.Exists(folder.Best) ? folder.Best : folder.Last)}");
        Console.WriteLine($"files: {folder.Path}/ (last.safetensors, best.safetensors, metrics.csv, loss.png, config.json)");
        return reason switch
        {
            StopReason.Cancelled => ExitCodes.Interrupted,
            StopReason.NonFinite => ExitCodes.BadInput,
            _ => ExitCodes.Ok,
        };
    }

    private static void SaveAll(Trainer trainer, CharLanguageModel model, RunFolder folder, SaveRequest save, Corpus corpus, int keep)
    {
        model.Summary = new TrainingSummary(corpus.Name, corpus.Sha256, trainer.CharactersSeen, trainer.Step,
            trainer.BestValidationLoss, DateTimeOffset.UtcNow, ToolInfo.Version);
        CheckpointRotation.PreserveLast(folder.Path, keep); // --keep N: the previous last files get step-numbered names
        CheckpointFile.Save(trainer.CaptureCheckpoint(), folder.Checkpoint);
        model.Save(folder.Last);
        // Without a validation split there is no "best": it mirrors the latest model.
        if (save.IsBest || double.IsNaN(trainer.BestValidationLoss)) model.Save(folder.Best);
        folder.WriteMetrics(trainer.Metrics);
        folder.WritePlot(trainer.Metrics, $"{corpus.Name}: {model.Config.Layers}×{model.Config.HiddenSize} LSTM");
    }

    private static Corpus LoadCorpus(string? source, CorpusOptions options)
    {
        void Warn(string message) => Console.Error.WriteLine($"warning: {message}");
        if (source is null)
        {
            var download = new CorpusDownloadOptions
            {
                Progress = new Progress<(long Received, long? Total)>(p =>
                {
                    if (p.Total is { } total && total > 0) Console.Error.Write($"\rdownloading {DefaultCorpus.Name}: {100.0 * p.Received / total:F0}%   ");
                }),
            };
            var corpus = CorpusLoader.LoadDefaultAsync(options, download, Warn, CancellationToken.None).GetAwaiter().GetResult();
            Console.Error.WriteLine();
            return corpus;
        }
        return CorpusLoader.LoadAsync(source, options, CorpusDownloadOptions.Default, Warn, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static string SafeName(string name)
    {
        string stem = Path.GetFileNameWithoutExtension(name.TrimEnd('/', '\\'));
        var chars = stem.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        return chars.Length == 0 ? "run" : new string(chars);
    }
}
