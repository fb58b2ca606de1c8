using System.Runtime.InteropServices;
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
        // ---- options, and the run folder checked before anything is read or downloaded ----
        string? source = r.GetValue(def.Corpus);
        string? resumeDir = r.GetValue(def.Resume);
        TrainingCheckpoint? checkpoint = null;
        TrainingOptions options;
        IReadOnlyList<string> changes = [];
        RunFolder folder;
        CharLanguageModel? init = null;
        if (resumeDir is not null)
        {
            folder = new RunFolder(resumeDir);
            if (!File.Exists(folder.Checkpoint))
                throw new InputException($"--resume: '{resumeDir}' holds no last.checkpoint.safetensors, so "
                    + $"there is nothing to resume. Name the --out folder of an earlier 'charlstm train' run.");
            AtomicFile.CleanStaleTemporaries(folder.Path);
            checkpoint = CheckpointFile.Load(folder.Checkpoint);
            (options, changes) = def.ResolveForResume(r, checkpoint);
        }
        else
        {
            options = def.Resolve(r);
            if (r.GetValue(def.InitFrom) is { } initPath)
            {
                init = ModelLocator.Load(initPath);
                options = def.ForInitFrom(r, options, init, ModelLocator.Resolve(initPath));
            }
            folder = new RunFolder(r.GetValue(def.Out) ?? Path.Combine("runs", SafeName(ExpectedCorpusName(source))));
            CheckNewRunFolder(folder, r.GetValue(def.Overwrite));
        }
        int keep = r.GetValue(def.Keep) ?? 0;
        if (keep < 0) throw new UsageException($"--keep must be 0 or more, got {keep}.");

        // ---- 1. the corpus ----
        var corpus = LoadCorpus(source, options.Text);

        Corpus? validationText = options.ValFile is { } valFile ? LoadValidation(valFile, options.Text) : null;

        // ---- 2. vectorise (a separate validation text adds its characters to the vocabulary) ----
        Vocabulary vocabulary = checkpoint is not null ? Vocabulary.FromStrings(checkpoint.Vocabulary)
            : Vocabulary.Build(AllCharacters(corpus, validationText, init));
        if (checkpoint is not null && checkpoint.CorpusSha256 != corpus.Sha256)
            throw new InputException($"the run in '{folder.Path}' was trained on '{checkpoint.CorpusName}' (sha256 {checkpoint.CorpusSha256[..12]}…), "
                + $"but the corpus given now is '{corpus.Name}' (sha256 {corpus.Sha256[..12]}…). Pass the original corpus to resume.");
        var encoded = EncodedCorpus.Encode(corpus, vocabulary);
        EncodedCorpus? validation;
        try { validation = validationText is null ? null : EncodedCorpus.Encode(validationText, vocabulary); }
        catch (CorpusException e) { throw new InputException($"--val-file: {e.Message} The run's vocabulary was built from the texts it started with."); }

        // ---- 3. the model, its size chosen for the time budget when the user left it open, once it is known to fit ----
        string? sizingNote = null;
        if (checkpoint is null && init is null && def.SizeForBudget(r) && options.TimeBudget is { } budget)
            (options, sizingNote) = SizeForBudget(options, vocabulary.Size, budget, def.DropoutGiven(r));
        var config = options.ModelConfig(vocabulary.Size);
        CheckMemory(config, options);
        var network = checkpoint is null ? LstmModel.CreateInitialized(config, new Rng(options.Seed), options.ForgetBiasOne) : new LstmModel(config);
        string? initNote = init is null ? null : FineTuneFrom(init, network, vocabulary);
        var model = new CharLanguageModel(network, vocabulary, textOptions: options.Text);
        Trainer trainer;
        try { trainer = new Trainer(network, vocabulary, corpus, encoded, options, checkpoint, validation); }
        catch (InvalidOperationException e) { throw new InputException(e.Message); }
        using var disposeTrainer = trainer;

        // ---- 4. the run folder: made only now, when nothing left can refuse the run ----
        if (checkpoint is null) StartRunFolder(folder);
        folder.WriteConfig(options, config, corpus.Name, corpus.Sha256, corpus.Length, network.Parameters.Length);

        var view = ProgressView.Create(r.GetValue(def.Plain), r.GetValue(def.Quiet));
        view.Line($"corpus: {corpus.Name}, {corpus.Length:N0} characters, {vocabulary.Size} distinct; train {trainer.TrainCharacters:N0} "
            + $"/ validation {trainer.ValidationCharacters:N0}");
        view.Line($"model: {config.Layers}×{config.HiddenSize} LSTM, input {(config.OneHot ? "one-hot" : $"embedding {config.EmbeddingSize}")}, "
            + $"{network.Parameters.Length:N0} parameters; {options.Optimizer} lr {options.LearningRate}, batch {options.Batch}×{options.SeqLen}; "
                + $"{trainer.BatchesPerEpoch:N0} {(trainer.BatchesPerEpoch == 1 ? "batch" : "batches")} per epoch");
        if (sizingNote is not null) view.Line(sizingNote);
        if (initNote is not null) view.Line(initNote);
        view.Line(checkpoint is null ? $"writing to {folder.Path}/" : $"resuming {folder.Path}/ at step {trainer.Step:N0}"
            + (changes.Count > 0 ? $" with {string.Join(", ", changes)}" : ", as it was"));

        trainer.StepCompleted += view.Step;
        trainer.Evaluated += e => view.Line(
            $"{(e.EpochEnd ? "epoch " + (e.Epoch + 1) + " done, " : "")}step {e.Step:N0}: validation loss {e.Loss.MeanNats:F4} "
                + $"nats/char ({e.Loss.BitsPerChar:F4} bits/char) over {e.Loss.Count:N0} character{(e.Loss.Count == 1 ? "" : "s")}"
                + (e.IsBest ? " (best so far)" : ""));
        // Samples come in groups, one per temperature, all continuing the same seed text from the training split: the
        // group's header shows the seed (escaped, on one line), and each sample only what the model wrote after it.
        long sampledStep = -1;
        trainer.Sampled += s =>
        {
            if (s.Step != sampledStep)
            {
                sampledStep = s.Step;
                string seed = string.Concat(Data.TextScalars.FromString(s.Prompt).Select(Data.TextScalars.Show));
                view.Verbatim($"--- samples at step {s.Step:N0}, each continuing the seed \"{seed}\" (from the training text) ---");
            }
            view.Verbatim($"--- temperature {s.Temperature:0.0#} ---\n{s.Text}\n");
        };
        trainer.SaveRequested += save =>
        {
            SaveAll(trainer, model, folder, save, corpus, keep);
            if (save.IsBest) view.Line($"saved best model to {folder.Best}");
        };

        // Ctrl-C (SIGINT) and SIGTERM (a timeout, docker stop, systemd, Slurm) both finish the step and save.
        using var cancel = new CancellationTokenSource();
        bool terminated = false;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            terminated = true;
            cancel.Cancel();
        });
        StopReason reason;
        try { reason = view.Show(() => trainer.Run(cancel.Token)); }
        finally { Console.CancelKeyPress -= onCancel; }

        string resume = ResumeCommand(folder, source, options.Text);
        Console.WriteLine(reason switch
        {
            StopReason.Cancelled => $"{(terminated ? "stopped by SIGTERM" : "interrupted")} at step {trainer.Step:N0}; saved {folder.Checkpoint}. "
                + $"Continue with: {resume}",
            StopReason.NonFinite => $"stopped: {options.MaxConsecutiveSkips} steps in a row had a non-finite loss or gradient. "
                + (File.Exists(folder.Checkpoint) ? $"The last good state is in {folder.Checkpoint}. " : "Nothing was saved. ")
                + $"Start again with a lower --lr (now {options.LearningRate}){(options.Clip > 0 ? "" : " or a --clip such as 5")}.",
            StopReason.Diverged => $"stopped: the training loss stayed above {trainer.DivergenceLoss:F1} nats/char (ten times an untrained model's) for "
                + $"{Trainer.DivergenceSteps} steps: training diverged. Start again with a lower --lr (now {options.LearningRate})"
                + $"{(options.Clip > 0 ? "" : " or a --clip such as 5")}.",
            StopReason.TimeBudget => $"time budget used after {trainer.Step:N0} step{(trainer.Step == 1 ? "" : "s")}.",
            StopReason.MaxSteps => $"reached --max-steps {options.MaxSteps:N0}.",
            StopReason.NoImprovement => $"stopped early at step {trainer.Step:N0}: {options.Patience} validation passes in a row without a new best "
                + "(--patience).",
            _ => $"finished {options.Epochs} epoch(s).",
        });
        if (!double.IsNaN(trainer.BestValidationLoss))
            Console.WriteLine($"best validation loss {trainer.BestValidationLoss:F4} nats/char ({trainer.BestValidationLoss / Math.Log(2):F4} "
                + $"bits/char); model: {(File.Exists(folder.Best) ? folder.Best : folder.Last)}");
        Console.WriteLine($"files: {folder.Path}/ ({string.Join(", ", folder.Written)})");
        return reason switch
        {
            StopReason.Cancelled => terminated ? ExitCodes.Terminated : ExitCodes.Interrupted,
            StopReason.NonFinite or StopReason.Diverged => ExitCodes.BadInput,
            _ => ExitCodes.Ok,
        };
    }

    // A new run goes into a folder that is missing or empty, or that holds a run it may replace
    // (--overwrite); never into a folder of other files, whose config.json or metrics.csv it would overwrite.
    private static void CheckNewRunFolder(RunFolder folder, bool overwrite)
    {
        if (folder.HoldsRun && !overwrite)
            throw new InputException($"'{folder.Path}' already holds a training run. Continue it with --resume {folder.Path}, "
                + $"choose another --out folder, or pass --overwrite to replace it.");
        if (folder.ForeignFiles is { Count: > 0 } files)
            throw new InputException($"'{folder.Path}' is not empty and holds no training run ({string.Join(", ", files.Take(5))}"
                + $"{(files.Count > 5 ? $" and {files.Count - 5} more" : "")}); a run would write its files among them. Choose a new or empty --out folder.");
        if (File.Exists(folder.Path))
            throw new InputException($"--out: '{folder.Path}' is a file, not a folder. Choose a new or empty --out folder.");
        for (var parent = Directory.GetParent(Path.GetFullPath(folder.Path)); parent is not null; parent = parent.Parent)
        {
            if (File.Exists(parent.FullName))
                throw new InputException($"--out: '{folder.Path}' lies inside '{Path.GetRelativePath(".", parent.FullName)}', which is a file, "
                    + "so the folder cannot be made. Choose a new or empty --out folder.");
        }
    }

    private static void StartRunFolder(RunFolder folder)
    {
        try
        {
            Directory.CreateDirectory(folder.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"--out: cannot create the folder '{folder.Path}' ({ErrorText.Reason(e)}). "
                + "Choose a folder you may write to.");
        }
        AtomicFile.CleanStaleTemporaries(folder.Path);
        // --overwrite: the old run's best model is not this run's; only a validation of this run may write best.
        File.Delete(folder.Best);
    }

    // Times each of BudgetSizing's sizes on this machine and takes the one the budget suits; the measuring comes out of
    // the budget. Returns the options with that size and the line that says what was chosen and why.
    private static (TrainingOptions Options, string Note) SizeForBudget(TrainingOptions options, int vocabSize, TimeSpan budget, bool keepDropout)
    {
        var choice = BudgetSizing.Choose(options, vocabSize, budget);
        var sized = choice.Chosen.Apply(options) with { TimeBudget = budget > choice.Measuring ? budget - choice.Measuring : TimeSpan.FromSeconds(1) };
        if (keepDropout) sized = sized with { Dropout = options.Dropout };
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string estimates = string.Join("; ", choice.Estimates.Select(e =>
            string.Create(inv,
                $"{e.Size.Layers}×{e.Size.Hidden} dropout {e.Size.Dropout}: {e.CharsPerSecond / 1000:N0}k chars/s → {e.Characters / 1e6:N1}M characters")
            + (e.Size.MinCharacters > 0 ? string.Create(inv, $" (needs {e.Size.MinCharacters / 1e6:0.#}M)") : "")));
        return (sized, $"size for --time {ProgressView.Format(budget)}: {choice.Chosen} ({estimates}; measured in "
            + $"{choice.Measuring.TotalSeconds.ToString("F1", inv)} s). Set --hidden, --layers or --embedding to choose the size yourself.");
    }

    // Refuses, before anything is allocated, a model this process cannot hold.
    private static void CheckMemory(ModelConfig config, TrainingOptions options)
    {
        var need = TrainingMemory.Estimate(config, options);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(forceFullCollection: false);
        if (need.Total <= available) return;
        throw new UsageException($"training this model needs about {need}, more than the {TrainingMemory.Gigabytes(available)} this process "
            + $"may use. Lower --hidden (now {config.HiddenSize}), --layers ({config.Layers}), --batch ({options.Batch}) or --seq-len ({options.SeqLen}).");
    }

    private static void SaveAll(Trainer trainer, CharLanguageModel model, RunFolder folder, SaveRequest save, Corpus corpus, int keep)
    {
        model.Summary = new TrainingSummary(corpus.Name, corpus.Sha256, trainer.CharactersSeen, trainer.Step,
            trainer.BestValidationLoss, DateTimeOffset.UtcNow, ToolInfo.Version);
        CheckpointRotation.PreserveLast(folder.Path, keep); // --keep N: the previous last files get step-numbered names
        CheckpointFile.Save(trainer.CaptureCheckpoint(), folder.Checkpoint);
        model.Save(folder.Last);
        // best.safetensors only ever holds weights a validation chose; without a validation split there
        // is nothing to choose by, and it mirrors the latest model.
        if (save.IsBest || !trainer.HasValidation) model.Save(folder.Best);
        folder.WriteMetrics(trainer.Metrics);
        folder.WritePlot(trainer.Metrics, $"{corpus.Name}: {model.Config.Layers}×{model.Config.HiddenSize} LSTM", model.Config.VocabSize);
    }

    // The command that continues this run: the corpus as it was given, and the text options.
    private static string ResumeCommand(RunFolder folder, string? source, CorpusOptions text)
    {
        var parts = new List<string> { "charlstm", "train", "--resume", folder.Path };
        if (source is not null) parts.Add(source);
        if (text.Lowercase) parts.Add("--lowercase");
        if (text.NormalizeNewlines) parts.Add("--normalize-newlines");
        if (text.InvalidUtf8 == InvalidUtf8Mode.Replace) parts.AddRange(["--invalid-utf8", "replace"]);
        static string Quoted(string p) => p.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? $"'{p.Replace("'", "'\\''", StringComparison.Ordinal)}'" : p;
        string command = string.Join(' ', parts.Select(Quoted));
        // Standard input is gone once read: the resume needs the same text piped in again (the corpus's sha256 is checked).
        return source == "-" ? command + " (with the same text on standard input)" : command;
    }

    // The name the corpus will have (so the default run folder can be checked before a download).
    private static string ExpectedCorpusName(string? source)
    {
        if (source is null) return DefaultCorpus.FileName;
        if (source == "-") return "stdin";
        if (source.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(source, UriKind.Absolute, out var url))
        {
            string name = Uri.UnescapeDataString(url.Segments[^1]).Trim('/');
            return name.Length == 0 ? url.Host : name;
        }
        return Path.GetFileName(Path.TrimEndingDirectorySeparator(source));
    }

    private static Corpus LoadCorpus(string? source, CorpusOptions options)
    {
        void Warn(string message) => Console.Error.WriteLine($"warning: {message}");
        if (source == "-")
        {
            using var stdin = Console.OpenStandardInput();
            return CorpusLoader.LoadStream(stdin, "stdin", options);
        }
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

    // What a new run's vocabulary is built from: the corpus, a separate validation text, and a model to fine-tune.
    private static int[] AllCharacters(Corpus corpus, Corpus? validation, CharLanguageModel? init)
    {
        var all = new List<int>(corpus.Scalars.Length + (validation?.Scalars.Length ?? 0));
        all.AddRange(corpus.Scalars);
        if (validation is not null) all.AddRange(validation.Scalars);
        if (init is not null) all.AddRange(init.Vocabulary.Scalars);
        return [.. all];
    }

    // Copies the trained model's weights into the new network, character by character; returns the line that says what was taken over.
    private static string FineTuneFrom(CharLanguageModel init, LstmModel network, Vocabulary vocabulary)
    {
        var sourceIdOf = new int[vocabulary.Size];
        var added = new List<int>();
        for (int id = 0; id < vocabulary.Size; id++)
        {
            sourceIdOf[id] = init.Vocabulary.TryGetId(vocabulary[id], out int old) ? old : -1;
            if (sourceIdOf[id] < 0) added.Add(vocabulary[id]);
        }
        network.TakeParametersFrom(init.Network, sourceIdOf);
        string from = $"fine-tuning from {init.Config.Layers}×{init.Config.HiddenSize} model with {init.Vocabulary.Size} characters";
        return added.Count == 0 ? $"{from}; the new text has no characters it lacks"
            : $"{from}; {added.Count} character{(added.Count == 1 ? "" : "s")} new to it start untrained: {Data.TextScalars.DescribeList(added)}";
    }

    private static Corpus LoadValidation(string source, CorpusOptions options)
    {
        try
        {
            return CorpusLoader.LoadAsync(source, options, CorpusDownloadOptions.Default, m => Console.Error.WriteLine($"warning: {m}"), CancellationToken.None)
                .GetAwaiter().GetResult();
        }
        catch (CorpusException e) { throw new InputException("--val-file: " + e.Message); }
    }

    private static string SafeName(string name)
    {
        string stem = Path.GetFileNameWithoutExtension(name.TrimEnd('/', '\\'));
        var chars = stem.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        return chars.Length == 0 ? "run" : new string(chars);
    }
}
