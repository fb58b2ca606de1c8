using CharLstm.Training;

namespace CharLstm.Cli.Commands.Train;

/// <summary>
/// The options of <c>charlstm train</c>. Model and optimisation options have no default of their own:
/// an option the user did not type falls back to the preset (<c>--preset</c>, default "default").
/// </summary>
internal sealed class TrainDefinition
{
    private static readonly TrainingOptions D = Presets.Get("default");
    private static readonly string DefaultSchedule = D.Schedule.ToString().ToLowerInvariant();

    public Argument<string?> Corpus { get; } = new("corpus")
    {
        Description = "A text file, a folder of text files, an http(s) URL, or - for standard input. Omitted: Tiny Shakespeare, downloaded once "
            + "into the cache (CHARLSTM_CACHE).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<string> Preset { get; } = new("--preset")
    {
        Description = $"Starting point: {string.Join(", ", Presets.Names)}. "
        + $"Explicit options override it.",
        DefaultValueFactory = _ => "default"
    };
    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Output folder (default: runs/<corpus name>)." };
    public Option<string?> Resume { get; } = new("--resume")
    {
        Description = "Continue the run in this output folder exactly where it stopped. It keeps its model, data, optimiser, seed and text "
            + "options; it takes a larger --max-steps, more --epochs or --time (from now on), and new --lr, --clip, --patience, eval and "
            + "sample options.",
    };
    public Option<string?> InitFrom { get; } = new("--init-from")
    {
        Description = "Fine-tune: start from this trained model (file or run folder), keeping its shape and text options; characters "
            + "of the new text it lacks are added, untrained.",
    };
    public Option<bool> Overwrite { get; } = new("--overwrite")
    {
        Description = "Allow starting a new run in a folder that "
        + "already holds one (its files are replaced)."
    };
    public Option<int?> Keep { get; } = new("--keep") { Description = "Also keep the N most recent step-numbered checkpoints (default 0)." };

    public Option<int?> Layers { get; } = new("--layers") { Description = $"LSTM layers, 1-8 (default {D.Layers})." };
    public Option<int?> Hidden { get; } = new("--hidden") { Description = $"Units per layer (default {D.HiddenSize})." };
    public Option<int?> Embedding { get; } = new("--embedding") { Description = $"Embedding width; 0 = one-hot input (default {D.EmbeddingSize})." };
    public Option<float?> Dropout { get; } = new("--dropout") { Description = $"Dropout between layers and before the head, [0,1) (default {D.Dropout})." };
    public Option<int?> Batch { get; } = new("--batch", "-b") { Description = $"Parallel streams per batch (default {D.Batch})." };
    public Option<int?> SeqLen { get; } = new("--seq-len", "-t") { Description = $"Backprop-through-time length (default {D.SeqLen})." };
    public Option<double?> ValFraction { get; } = new("--val-fraction") { Description = $"Held-out end of the text, [0,1) (default {D.ValFraction})." };
    public Option<string?> ValFile { get; } = new("--val-file")
    {
        Description = "Validate on this text (file, folder or URL) instead of holding out the end of the corpus; the whole corpus is trained on.",
    };
    public Option<string?> Optimizer { get; } = new("--optimizer") { Description = $"adam, rmsprop or sgd (default {D.Optimizer})." };
    public Option<double?> LearningRate { get; } = new("--lr") { Description = $"Peak learning rate (default {D.LearningRate})." };
    public Option<double?> Momentum { get; } = new("--momentum") { Description = $"SGD momentum (default {D.Momentum})." };
    public Option<double?> WeightDecay { get; } = new("--weight-decay") { Description = "L2 weight decay (default 0)." };
    public Option<string?> Schedule { get; } = new("--schedule")
    {
        Description = $"LR schedule: constant, step, cosine, or wsd (warm-up, the peak held, then a linear decay over the last --decay-fraction "
            + $"of the run, ending at the --time deadline when there is one) (default {DefaultSchedule}).",
    };
    public Option<int?> Warmup { get; } = new("--warmup") { Description = $"Warm-up steps of the cosine and wsd schedules (default {D.WarmupSteps})." };
    public Option<double?> DecayFraction { get; } = new("--decay-fraction")
    {
        Description = $"The wsd schedule's decay: the last fraction of the run, of its --time or else its steps (default {D.DecayFraction}).",
    };
    public Option<double?> LrDecay { get; } = new("--lr-decay") { Description = $"Factor of the step schedule (default {D.DecayFactor})." };
    public Option<int?> LrDecayEvery { get; } = new("--lr-decay-every") { Description = $"Steps between step-schedule decays (default {D.DecayEvery})." };
    public Option<double?> Clip { get; } = new("--clip") { Description = $"Global gradient-norm clip; 0 = off (default {D.Clip})." };
    public Option<int?> Epochs { get; } = new("--epochs") { Description = $"Passes over the training text (default {D.Epochs})." };
    public Option<long?> MaxSteps { get; } = new("--max-steps") { Description = "Stop after this many steps (default: no limit)." };
    public Option<string?> Time { get; } = new("--time") { Description = "Stop after this much training time, e.g. 90s, 10m, 1h30m (default: no limit)." };
    public Option<int?> EvalInterval { get; } = new("--eval-interval")
    {
        Description = $"Steps between validation passes; 0 = "
        + $"epoch ends only (default {D.EvalInterval})."
    };
    public Option<int?> EvalChars { get; } = new("--eval-chars") { Description = "Score at most this many validation characters per pass (default: all)." };
    public Option<string?> SampleTemperatures { get; } = new("--sample-temperatures")
    {
        Description = "Temperatures of the samples printed "
        + "after each epoch (default 0.2,0.5,1.0,1.2)."
    };
    public Option<int?> SampleLength { get; } = new("--sample-length") { Description = $"Characters per printed sample; 0 = none (default {D.SampleLength})." };
    public Option<bool> SampleAtEval { get; } = new("--sample-at-eval") { Description = "Print samples at every validation pass too." };
    public Option<int?> Patience { get; } = new("--patience")
    {
        Description = "Early stopping: end the run after N validation passes in a row without a new best (default: off).",
    };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only how the run ended (and errors): no progress, no samples." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = $"Random seed; same seed and threads give the same run (default {D.Seed})." };
    public Option<int?> Threads { get; } = new("--threads") { Description = "Worker threads (default: all cores)." };
    public Option<bool> Plain { get; } = new("--plain")
    {
        Description = "Plain log lines instead of a live progress "
        + "bar (the default when output is not a terminal)."
    };
    public TextOptions Text { get; } = new();

    public Command Build(Func<ParseResult, int> run)
    {
        var command = new Command("train", $"""
            Train a character LSTM on a text (Tiny Shakespeare when none is given) and save it.

            Presets (--preset; any option typed overrides its value):
            {PresetTable()}

            Examples:
              charlstm train --time 5m                               # Tiny Shakespeare, default preset
              charlstm train --preset char-rnn --time 5m ../shared/corpora/tinyshakespeare.txt
              charlstm train --preset keras-lab --lowercase nietzsche.txt
              charlstm train my-lyrics/ --hidden 512 --dropout 0.2 --out runs/lyrics
              charlstm train --resume runs/lyrics my-lyrics/           # continue exactly
              charlstm train my-lyrics/ --init-from runs/tinyshakespeare --max-steps 2000 --out runs/bard-lyrics
              charlstm train - --val-file held-out.txt --patience 5 --quiet < notes.txt
            """);
        // A token like --frobnicate would otherwise be taken for the corpus path.
        Corpus.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[0].Value is { Length: > 1 } v && v.StartsWith('-'))
                result.AddError($"unknown option '{v}'.");
        });
        command.Arguments.Add(Corpus);
        foreach (var o in new Option[] { Preset, Out, Resume, InitFrom, Overwrite, Keep, Layers, Hidden, Embedding, Dropout, Batch, SeqLen,
                     ValFraction, ValFile,
                     Optimizer, LearningRate, Momentum, WeightDecay, Schedule, Warmup, DecayFraction, LrDecay, LrDecayEvery, Clip, Epochs, MaxSteps, Time,
                     EvalInterval, EvalChars, SampleTemperatures, SampleLength, SampleAtEval, Patience, Seed, Threads, Plain, Quiet })
            command.Options.Add(o);
        Text.AddTo(command);
        command.SetAction(run);
        return command;
    }

    // One line per preset with the values it sets, as the help shows them.
    private static string PresetTable() => string.Join("\n", Presets.Names.Select(name =>
    {
        var p = Presets.Get(name);
        string input = p.EmbeddingSize == 0 ? "one-hot" : $"embedding {p.EmbeddingSize}";
        string schedule = p.Schedule.ToString().ToLowerInvariant();
        return $"  {name,-10} {p.Layers}×{p.HiddenSize} LSTM, {input}, dropout {p.Dropout}; batch {p.Batch}×{p.SeqLen}; "
            + $"{p.Optimizer} lr {p.LearningRate} ({schedule}), clip {p.Clip}; eval every {p.EvalInterval} steps";
    }));

    /// <summary>The preset, with every option the user typed laid over it.</summary>
    public TrainingOptions Resolve(ParseResult r, TrainingOptions? basis = null)
    {
        string preset = r.GetValue(Preset)!;
        TrainingOptions o;
        try { o = basis ?? Presets.Get(preset); }
        catch (ArgumentException e) { throw new UsageException("--preset: " + e.Message); }
        // Each option's value when given, else the preset's.
        o = o with
        {
            Layers = r.GetValue(Layers) ?? o.Layers,
            HiddenSize = r.GetValue(Hidden) ?? o.HiddenSize,
            EmbeddingSize = r.GetValue(Embedding) ?? o.EmbeddingSize,
            Dropout = r.GetValue(Dropout) ?? o.Dropout,
            Batch = r.GetValue(Batch) ?? o.Batch,
            SeqLen = r.GetValue(SeqLen) ?? o.SeqLen,
            ValFraction = r.GetValue(ValFile) is not null && r.GetValue(ValFraction) is null ? 0 : r.GetValue(ValFraction) ?? o.ValFraction,
            ValFile = r.GetValue(ValFile) is { } valFile ? LocalOrUrl(valFile) : o.ValFile,
            Optimizer = r.GetValue(Optimizer) ?? o.Optimizer,
            LearningRate = r.GetValue(LearningRate) ?? o.LearningRate,
            Momentum = r.GetValue(Momentum) ?? o.Momentum,
            WeightDecay = r.GetValue(WeightDecay) ?? o.WeightDecay,
            Clip = r.GetValue(Clip) ?? o.Clip,
            Schedule = r.GetValue(Schedule) is { } s ? ParseSchedule(s) : o.Schedule,
            WarmupSteps = r.GetValue(Warmup) ?? o.WarmupSteps,
            DecayFraction = r.GetValue(DecayFraction) ?? o.DecayFraction,
            DecayFactor = r.GetValue(LrDecay) ?? o.DecayFactor,
            DecayEvery = r.GetValue(LrDecayEvery) ?? o.DecayEvery,
            EvalChars = r.GetValue(EvalChars) ?? o.EvalChars,
            SampleAtEval = r.GetValue(SampleAtEval) || o.SampleAtEval,
            SampleTemperatures = r.GetValue(SampleTemperatures) is { } temps ? ParseTemperatures(temps) : o.SampleTemperatures,
            Seed = r.GetValue(Seed) ?? o.Seed,
            Threads = r.GetValue(Threads) ?? o.Threads,
        };
        return Validated(WithRunLength(r, o) with { Text = Text.Read(r) });
    }

    /// <summary>
    /// A resume's options: the run's own, with what the command line may change laid over them. What
    /// decides the model, its data or its optimiser cannot change in the middle of a run and is refused
    /// when given with another value; how long to go on, how often to look, the learning rate and the
    /// clip, and how to show it can. <c>--time</c> is time from now on, added to what the run has used.
    /// Returns the options and one line per change ("--max-steps 2,000 (was 1,000)").
    /// </summary>
    public (TrainingOptions Options, IReadOnlyList<string> Changes) ResolveForResume(ParseResult r, TrainingCheckpoint saved)
    {
        var o = saved.Options;
        var refused = new List<string>();
        void Fixed<T>(Option<T> option, T? given, T? kept)
        {
            if (given is not null && !given.Equals(kept)) refused.Add($"{option.Name} {given} (the run has {kept})");
        }
        if (r.GetValue(InitFrom) is { } init) refused.Add($"--init-from {init} (the run already has its weights)");
        if (Given(r, Preset)) refused.Add($"--preset {r.GetValue(Preset)} (a preset chooses a new run's settings)");
        if (r.GetValue(Out) is { } outFolder) refused.Add($"--out {outFolder} (a resume writes into the folder it resumes)");
        if (r.GetValue(Overwrite)) refused.Add("--overwrite (a resume continues the run; it replaces nothing)");
        Fixed(Layers, r.GetValue(Layers), o.Layers);
        Fixed(Hidden, r.GetValue(Hidden), o.HiddenSize);
        Fixed(Embedding, r.GetValue(Embedding), o.EmbeddingSize);
        Fixed(Dropout, r.GetValue(Dropout), o.Dropout);
        Fixed(Batch, r.GetValue(Batch), o.Batch);
        Fixed(SeqLen, r.GetValue(SeqLen), o.SeqLen);
        Fixed(ValFraction, r.GetValue(ValFraction), o.ValFraction);
        Fixed(ValFile, r.GetValue(ValFile) is { } vf ? LocalOrUrl(vf) : null, o.ValFile);
        Fixed(Optimizer, r.GetValue(Optimizer), o.Optimizer);
        Fixed(Momentum, r.GetValue(Momentum), o.Momentum);
        Fixed(WeightDecay, r.GetValue(WeightDecay), o.WeightDecay);
        Fixed(Schedule, r.GetValue(Schedule) is { } s ? ParseSchedule(s).ToString().ToLowerInvariant() : null, o.Schedule.ToString().ToLowerInvariant());
        Fixed(Warmup, r.GetValue(Warmup), o.WarmupSteps);
        Fixed(DecayFraction, r.GetValue(DecayFraction), o.DecayFraction);
        Fixed(LrDecay, r.GetValue(LrDecay), o.DecayFactor);
        Fixed(LrDecayEvery, r.GetValue(LrDecayEvery), o.DecayEvery);
        Fixed(Seed, r.GetValue(Seed), o.Seed);
        var text = Text.Read(r);
        if (Given(r, Text.Lowercase) && text.Lowercase != o.Text.Lowercase) refused.Add(
            $"--lowercase (the run read its text {(o.Text.Lowercase ? "lower-cased" : "as it is")})");
        if (Given(r, Text.NormalizeNewlines) && text.NormalizeNewlines != o.Text.NormalizeNewlines) refused.Add("--normalize-newlines (the run did not)");
        if (Given(r, Text.InvalidUtf8) && text.InvalidUtf8 != o.Text.InvalidUtf8)
            refused.Add($"--invalid-utf8 {text.InvalidUtf8.ToString().ToLowerInvariant()} (the run has {o.Text.InvalidUtf8.ToString().ToLowerInvariant()})");
        if (refused.Count > 0)
            throw new UsageException($"a resume continues the same run, so these cannot change: {string.Join("; ", refused)}. "
                + "Leave them out (the run keeps its own), or start a new run in another --out folder.");

        var resumed = o with
        {
            Epochs = r.GetValue(Epochs) ?? o.Epochs,
            MaxSteps = r.GetValue(MaxSteps) ?? o.MaxSteps,
            TimeBudget = r.GetValue(Time) is { } t ? TimeSpan.FromSeconds(saved.ElapsedSeconds) + Durations.Parse(t, "--time") : o.TimeBudget,
            EvalInterval = r.GetValue(EvalInterval) ?? o.EvalInterval,
            EvalChars = r.GetValue(EvalChars) ?? o.EvalChars,
            SampleLength = r.GetValue(SampleLength) ?? o.SampleLength,
            SampleTemperatures = r.GetValue(SampleTemperatures) is { } temps ? ParseTemperatures(temps) : o.SampleTemperatures,
            SampleAtEval = r.GetValue(SampleAtEval) || o.SampleAtEval,
            LearningRate = r.GetValue(LearningRate) ?? o.LearningRate,
            Clip = r.GetValue(Clip) ?? o.Clip,
            Threads = r.GetValue(Threads) ?? o.Threads,
            Patience = r.GetValue(Patience) ?? o.Patience,
        };
        Validated(resumed);
        var changes = new List<string>();
        void Changed(string name, object? now, object? was)
        {
            if (!Equals(now, was)) changes.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} {now} (was {was})"));
        }
        Changed("--epochs", resumed.Epochs, o.Epochs);
        Changed("--max-steps", resumed.MaxSteps, o.MaxSteps);
        if (r.GetValue(Time) is { } time) changes.Add(
            $"--time {time} more (the run has used {ProgressView.Format(TimeSpan.FromSeconds(saved.ElapsedSeconds))})");
        Changed("--eval-interval", resumed.EvalInterval, o.EvalInterval);
        Changed("--eval-chars", resumed.EvalChars, o.EvalChars);
        Changed("--sample-length", resumed.SampleLength, o.SampleLength);
        Changed("--lr", resumed.LearningRate, o.LearningRate);
        Changed("--clip", resumed.Clip, o.Clip);
        Changed("--threads", resumed.Threads, o.Threads);
        Changed("--patience", resumed.Patience, o.Patience);
        NothingLeftToDo(resumed, saved);
        return (resumed, changes);
    }

    // A resume whose limits are already reached would do nothing and exit 0: say so instead.
    private static void NothingLeftToDo(TrainingOptions o, TrainingCheckpoint saved)
    {
        string? reached = o.MaxSteps > 0 && saved.Step >= o.MaxSteps ? $"its --max-steps ({o.MaxSteps:N0})"
            : saved.Epoch >= o.Epochs ? $"its --epochs ({o.Epochs})"
            : o.TimeBudget is { } budget && saved.ElapsedSeconds >= budget.TotalSeconds ? $"its --time ({ProgressView.Format(budget)})"
            : null;
        if (reached is not null)
            throw new UsageException($"nothing to do: the run is at step {saved.Step:N0} and has reached {reached}. "
                + "Give it more with a larger --max-steps, more --epochs, or --time (time from now on).");
    }

    // Whether the user typed the option (its default value does not count).
    private static bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>
    /// Whether a new run's model size is left to its time budget: --time given, and neither a preset other than the
    /// default nor --layers, --hidden or --embedding, which choose the size themselves.
    /// </summary>
    public bool SizeForBudget(ParseResult r) =>
        r.GetValue(Time) is not null && r.GetValue(Preset) == "default" && !Given(r, Layers) && !Given(r, Hidden) && !Given(r, Embedding);

    /// <summary>Whether --dropout was typed (a budget's size then keeps it).</summary>
    public bool DropoutGiven(ParseResult r) => Given(r, Dropout);

    // The options a resume may change, laid over o.
    private TrainingOptions WithRunLength(ParseResult r, TrainingOptions o) => o with
    {
        Epochs = r.GetValue(Epochs) ?? o.Epochs,
        MaxSteps = r.GetValue(MaxSteps) ?? o.MaxSteps,
        TimeBudget = r.GetValue(Time) is { } t ? Durations.Parse(t, "--time") : o.TimeBudget,
        EvalInterval = r.GetValue(EvalInterval) ?? o.EvalInterval,
        SampleLength = r.GetValue(SampleLength) ?? o.SampleLength,
        Patience = r.GetValue(Patience) ?? o.Patience,
    };

    /// <summary>
    /// A fine-tuning run's options: the model's shape and text options, which its weights fix (a different --layers,
    /// --hidden or --embedding is refused), with everything else resolved as for a new run.
    /// </summary>
    public TrainingOptions ForInitFrom(ParseResult r, TrainingOptions resolved, CharLanguageModel init, string initPath)
    {
        var c = init.Config;
        var refused = new List<string>();
        if (r.GetValue(Layers) is { } l && l != c.Layers) refused.Add($"--layers {l} (the model has {c.Layers})");
        if (r.GetValue(Hidden) is { } h && h != c.HiddenSize) refused.Add($"--hidden {h} (the model has {c.HiddenSize})");
        if (r.GetValue(Embedding) is { } e && e != c.EmbeddingSize) refused.Add($"--embedding {e} (the model has {c.EmbeddingSize})");
        if (refused.Count > 0)
            throw new UsageException($"--init-from keeps the model's shape, so these cannot apply: {string.Join("; ", refused)}. Leave them out.");
        return Validated(resolved with
        {
            Layers = c.Layers,
            HiddenSize = c.HiddenSize,
            EmbeddingSize = c.EmbeddingSize,
            Dropout = r.GetValue(Dropout) ?? c.Dropout,
            Text = Text.ReadOver(r, init.TextOptions),
            InitFrom = LocalOrUrl(initPath),
        });
    }

    // A path made absolute, so a resume from another folder finds it; a URL as it is.
    private static string LocalOrUrl(string path) => path.Contains("://", StringComparison.Ordinal) ? path : Path.GetFullPath(path);

    private static TrainingOptions Validated(TrainingOptions o)
    {
        try { o.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return o;
    }

    private static ScheduleKind ParseSchedule(string s) => s.ToLowerInvariant() switch
    {
        "constant" => ScheduleKind.Constant,
        "step" => ScheduleKind.Step,
        "cosine" => ScheduleKind.Cosine,
        "wsd" => ScheduleKind.Wsd,
        _ => throw new UsageException($"--schedule must be constant, step, cosine or wsd, got '{s}'."),
    };

    private static float[] ParseTemperatures(string s)
    {
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
                out result[i]) || result[i] < 0 || !float.IsFinite(result[i]))
                throw new UsageException($"--sample-temperatures: '{parts[i]}' is not a "
                    + $"number of 0 or more (give a comma-separated list such as 0.2,0.5,1.0).");
        return result;
    }
}
