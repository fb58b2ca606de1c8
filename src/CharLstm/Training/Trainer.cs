using System.Diagnostics;
using CharLstm.Data;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Training;

/// <summary>
/// The training loop: B contiguous streams, truncated backprop through time with the hidden state
/// carried across batches, a guarded optimizer step, periodic validation and samples. Events report
/// progress; the caller decides how to show it and where to save (see <see cref="SaveRequested"/>).
/// Everything is seeded: the same options, corpus and thread count give the same bits, and
/// <see cref="CaptureCheckpoint"/> / resume continue exactly.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingOptions _options;
    private readonly EncodedCorpus _train, _validation;
    private readonly TrainingBatches _batches;
    private readonly NetworkPass _pass;
    private readonly StepGuard _guard;
    private readonly Rng _rng;            // dropout masks; saved in checkpoints
    private readonly LstmState _state;    // carried across batches
    private readonly LstmState _stateBeforeStep;
    private readonly float[] _gradients;  // mirrors the parameters
    private readonly int[] _inputs, _targets;
    private readonly List<MetricRow> _metrics = [];
    private readonly string _corpusName, _corpusSha256;
    private double _elapsedBefore;        // seconds from earlier sessions (resume)
    private readonly Stopwatch _clock = new(); // this session's training time
    private long _savedAtStep = -1;       // step of the last save request
    private long _validatedAtStep = -1;
    private long _sampledAtStep = -1;     // step of the last samples printed   // step of the last validation pass
    private int _divergingSteps;          // steps in a row with a loss above DivergenceLoss
    private int[]? _validationIds;        // the scored part of the validation split, decoded on first use
    private double _lastValidation = double.NaN;
    private double _intervalLoss, _intervalNorm;
    private int _intervalCount;

    /// <summary>Sets up a fresh run, or continues <paramref name="resume"/>.</summary>
    /// <param name="network">The model to train (its parameters are overwritten on resume).</param>
    /// <param name="vocabulary">The network's characters (for samples and checkpoints).</param>
    /// <param name="corpus">The full corpus (for its name, checksum and sample snippets).</param>
    /// <param name="encoded">The corpus encoded with the model's vocabulary.</param>
    /// <param name="options">Resolved options.</param>
    /// <param name="resume">A checkpoint of an earlier run with the same corpus and options.</param>
    /// <param name="validation">A separate validation text (<see cref="TrainingOptions.ValFile"/>), encoded with the same vocabulary; then
    /// the whole corpus is trained on. Null: the last <see cref="TrainingOptions.ValFraction"/> of the corpus is held out.</param>
    public Trainer(LstmModel network, Vocabulary vocabulary, Corpus corpus, EncodedCorpus encoded, TrainingOptions options, TrainingCheckpoint? resume = null,
        EncodedCorpus? validation = null)
    {
        options.Validate();
        if (network.Config.VocabSize != vocabulary.Size)
            throw new ArgumentException($"The vocabulary has {vocabulary.Size} characters but "
                + $"the network expects {network.Config.VocabSize}.", nameof(vocabulary));
        _options = options;
        Network = network;
        Vocabulary = vocabulary;
        _corpusName = corpus.Name;
        _corpusSha256 = corpus.Sha256;
        (_train, _validation) = validation is null ? encoded.Split(options.ValFraction) : (encoded, validation);
        long window = (long)options.Batch * options.SeqLen + 1;
        if (_train.Length < window && _validation.Length > 0 && validation is null)
            throw new CorpusException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The training split has {_train.Length:N0} character{(_train.Length == 1 ? "" : "s")} (the corpus's {encoded.Length:N0} "
                + $"less the last {_validation.Length:N0} kept for validation by --val-fraction {options.ValFraction}), fewer than one training "
                + $"window of B×T+1 = {options.Batch}×{options.SeqLen}+1 = {window:N0}; use a smaller --batch or --seq-len, or a smaller --val-fraction."));
        _batches = new TrainingBatches(_train, options.Batch, options.SeqLen);
        var cfg = network.Config;
        _pass = new NetworkPass(cfg, options.Batch, options.SeqLen, options.Threads);
        var optimizer = Optimizer.Create(options.Optimizer, network.Parameters.Length, options.LearningRate, options.Momentum, options.WeightDecay);
        _guard = new StepGuard(optimizer, options.Clip);
        _rng = new Rng(options.Seed ^ 0x5EED_D20B_0000_0001UL);
        _state = new LstmState(cfg, options.Batch);
        _stateBeforeStep = new LstmState(cfg, options.Batch);
        _gradients = new float[network.Parameters.Length];
        _inputs = new int[options.Batch * options.SeqLen];
        _targets = new int[options.Batch * options.SeqLen];
        Horizon = options.MaxSteps > 0 ? options.MaxSteps : (long)options.Epochs * _batches.BatchesPerEpoch;
        if (resume is not null) Restore(resume);
    }

    /// <summary>The model being trained.</summary>
    public LstmModel Network { get; }
    /// <summary>The network's characters.</summary>
    public Vocabulary Vocabulary { get; }
    /// <summary>Steps the schedule plans for.</summary>
    public long Horizon { get; }
    /// <summary>Batches in one pass over the training split.</summary>
    public int BatchesPerEpoch => _batches.BatchesPerEpoch;
    /// <summary>Characters in the training split.</summary>
    public int TrainCharacters => _train.Length;
    /// <summary>Characters in the validation split.</summary>
    public int ValidationCharacters => _validation.Length;
    /// <summary>Steps taken.</summary>
    public long Step { get; private set; }
    /// <summary>Training characters processed.</summary>
    public long CharactersSeen { get; private set; }
    /// <summary>Best validation loss (NaN: none yet).</summary>
    public double BestValidationLoss { get; private set; } = double.NaN;
    /// <summary>Validation passes since the best one (what --patience counts).</summary>
    public int EvaluationsSinceBest { get; private set; }
    /// <summary>Steps skipped for non-finite values.</summary>
    public long SkippedSteps => _guard.SkippedSteps;
    /// <summary>Metrics rows so far.</summary>
    public IReadOnlyList<MetricRow> Metrics => _metrics;
    /// <summary>Steps between metrics rows.</summary>
    public int LogInterval { get; init; } = 10;
    /// <summary>Whether the run has a validation split to score (the last --val-fraction is long enough).</summary>
    public bool HasValidation => _validation.IsScorable;

    /// <summary>
    /// A training loss no learning model stays above: ten times an untrained model's (ln V, every
    /// character equally likely), and at least 20 nats. <see cref="DivergenceSteps"/> steps in a row
    /// above it end the run with <see cref="StopReason.Diverged"/>: the learning rate is too high.
    /// </summary>
    public double DivergenceLoss => Math.Max(10 * Math.Log(Network.Config.VocabSize), 20);

    /// <summary>Steps in a row above <see cref="DivergenceLoss"/> that stop the run.</summary>
    public const int DivergenceSteps = 10;

    /// <summary>After every step.</summary>
    public event Action<StepReport>? StepCompleted;
    /// <summary>After every validation pass.</summary>
    public event Action<EvaluationReport>? Evaluated;
    /// <summary>For every sample printed at epoch ends (and evaluations, if asked).</summary>
    public event Action<SampleReport>? Sampled;
    /// <summary>
    /// When the state should be written (after evaluations, at epoch ends, at the end). Not raised while the
    /// parameters hold NaN or ∞ (a model file cannot hold them), so the files written at the last request stay
    /// the last good state when a run ends with <see cref="StopReason.NonFinite"/>.
    /// </summary>
    public event Action<SaveRequest>? SaveRequested;

    /// <summary>Stops the compute threads (a trainer with more than one holds them until disposed).</summary>
    public void Dispose() => _pass.Dispose();

    /// <summary>Trains until the epochs, steps or time run out, or <paramref name="cancel"/> fires (the current step finishes first).</summary>
    public StopReason Run(CancellationToken cancel = default)
    {
        _clock.Start();
        var rateWindow = new Queue<(double Seconds, long Chars)>();
        rateWindow.Enqueue((Elapsed(), CharactersSeen));
        var model = Network;
        StopReason reason;
        while (true)
        {
            if (cancel.IsCancellationRequested) { reason = StopReason.Cancelled; break; }
            if (_options.MaxSteps > 0 && Step >= _options.MaxSteps) { reason = StopReason.MaxSteps; break; }
            if (_batches.Cursor.Epoch >= _options.Epochs) { reason = StopReason.Epochs; break; }
            if (_options.TimeBudget is { } budget && Elapsed() >= budget.TotalSeconds) { reason = StopReason.TimeBudget; break; }
            if (_options.Patience > 0 && EvaluationsSinceBest >= _options.Patience) { reason = StopReason.NoImprovement; break; }

            var cursor = _batches.Next(_inputs, _targets);
            bool epochEnd = _batches.Cursor.Epoch != cursor.Epoch;
            double lr = LearningRateSchedule.At(_options, Step, Horizon, Progress());
            _guard.Optimizer.LearningRate = lr;
            _stateBeforeStep.CopyFrom(_state);
            Array.Clear(_gradients);
            float loss = _pass.Forward(model, _inputs, _targets, _state, training: true, _rng);
            // A non-finite loss has no useful gradient: the guard sees the loss and skips the step.
            if (float.IsFinite(loss)) _pass.Backward(model, _gradients);
            var outcome = _guard.Step(model.Parameters, _gradients, loss);
            if (outcome.Skipped) _state.CopyFrom(_stateBeforeStep); // a poisoned state must not leak into the next batch
            Step++;
            CharactersSeen += _inputs.Length;
            if (!outcome.Skipped)
            {
                _intervalLoss += loss; _intervalNorm += outcome.GradientNorm; _intervalCount++;
            }

            double now = Elapsed();
            rateWindow.Enqueue((now, CharactersSeen));
            while (rateWindow.Count > 50) rateWindow.Dequeue();
            var (t0, c0) = rateWindow.Peek();
            double rate = now > t0 ? (CharactersSeen - c0) / (now - t0) : 0;
            StepCompleted?.Invoke(new StepReport(Step, Horizon, cursor.Epoch, CharactersSeen, TimeSpan.FromSeconds(now), rate, loss, lr,
                outcome.GradientNorm, outcome.Skipped, _lastValidation, Remaining(now, rate)));

            if (_guard.ConsecutiveSkipped >= _options.MaxConsecutiveSkips) { reason = StopReason.NonFinite; break; }
            _divergingSteps = float.IsFinite(loss) && loss > DivergenceLoss ? _divergingSteps + 1 : 0;
            if (_divergingSteps >= DivergenceSteps) { reason = StopReason.Diverged; break; }

            if (epochEnd) _state.Reset(); // the streams start over from the beginning of the split
            bool evalDue = _options.EvalInterval > 0 && Step % _options.EvalInterval == 0;
            if (Step % LogInterval == 0 && !evalDue && !epochEnd) AddMetricRow(cursor.Epoch, lr, double.NaN, now);
            if (evalDue || epochEnd) EvaluateAndReport(cursor.Epoch, lr, now, epochEnd);
        }
        // Close the run with a validation of its final weights, unless the last pass already was at this
        // step. An interrupted run saves without one (Ctrl-C should exit promptly), and a run that went
        // non-finite or diverged has nothing worth scoring.
        bool isBest = false;
        if (Step > 0 && _validatedAtStep != Step)
        {
            double val = double.NaN;
            if (reason is not (StopReason.NonFinite or StopReason.Cancelled or StopReason.Diverged))
                (val, isBest) = Validate(_batches.Cursor.Epoch, epochEnd: false);
            if (_metrics.Count > 0 && _metrics[^1].Step == Step) // a log row at this very step: it gets the validation
            {
                _metrics[^1] = _metrics[^1] with { ValidationLoss = val };
                _lastValidation = double.IsNaN(val) ? _lastValidation : val;
            }
            else AddMetricRow(_batches.Cursor.Epoch, _guard.Optimizer.LearningRate, val, Elapsed());
        }
        // A run ends with samples of its final weights (unless it was interrupted or broke down), so even a
        // short one shows what it learnt.
        if (Step > 0 && _sampledAtStep != Step && reason is not (StopReason.NonFinite or StopReason.Cancelled or StopReason.Diverged))
            EmitSamples();
        // The last evaluation may already have saved this very step; saving it again would only
        // duplicate files (and, with --keep, a step-numbered copy).
        if (ParametersAreFinite() && _savedAtStep != Step) SaveRequested?.Invoke(new SaveRequest(isBest, Final: true));
        _elapsedBefore = Elapsed();
        _clock.Reset();
        return reason;
    }

    private double Elapsed() => _elapsedBefore + _clock.Elapsed.TotalSeconds;

    // The share of the run done: steps of the horizon, or the time budget used when that is further along (a timed run
    // ends at its deadline, and a schedule that follows this ends there too, however many steps the machine manages).
    private double Progress()
    {
        double bySteps = Horizon > 0 ? (double)Step / Horizon : 0;
        double byTime = _options.TimeBudget is { } b && b.TotalSeconds > 0 ? Elapsed() / b.TotalSeconds : 0;
        return Math.Clamp(Math.Max(bySteps, byTime), 0, 1);
    }

    private TimeSpan? Remaining(double now, double rate)
    {
        double? bySteps = rate > 0 ? (Horizon - Step) * (double)_inputs.Length / rate : null;
        double? byTime = _options.TimeBudget is { } b ? Math.Max(0, b.TotalSeconds - now) : null;
        double? left = bySteps is null ? byTime : byTime is null ? bySteps : Math.Min(bySteps.Value, byTime.Value);
        return left is null ? null : TimeSpan.FromSeconds(left.Value);
    }

    // Scores the validation split (when there is one), updates the best and reports it.
    private (double Loss, bool IsBest) Validate(int epoch, bool epochEnd)
    {
        if (!_validation.IsScorable) return (double.NaN, false);
        _validatedAtStep = Step;
        var score = ScoreValidation();
        bool isBest = UpdateBest(score.MeanNats);
        Evaluated?.Invoke(new EvaluationReport(Step, epoch, score, isBest, epochEnd));
        return (score.MeanNats, isBest);
    }

    private void EvaluateAndReport(int epoch, double lr, double now, bool epochEnd)
    {
        var (val, isBest) = Validate(epoch, epochEnd);
        AddMetricRow(epoch, lr, val, now);
        // A run too short to reach an epoch end samples at every evaluation instead.
        bool shortRun = _options.MaxSteps > 0 && _options.MaxSteps < _batches.BatchesPerEpoch;
        if (epochEnd || _options.SampleAtEval || shortRun) EmitSamples();
        if (ParametersAreFinite())
        {
            SaveRequested?.Invoke(new SaveRequest(isBest, Final: false));
            _savedAtStep = Step;
        }
    }

    private bool ParametersAreFinite()
    {
        foreach (float p in Network.Parameters)
            if (!float.IsFinite(p)) return false;
        return true;
    }

    private bool UpdateBest(double val)
    {
        if (!double.IsFinite(val) || !(double.IsNaN(BestValidationLoss) || val < BestValidationLoss))
        {
            EvaluationsSinceBest++;
            return false;
        }
        BestValidationLoss = val;
        EvaluationsSinceBest = 0;
        return true;
    }

    private void AddMetricRow(int epoch, double lr, double validation, double elapsed)
    {
        double loss = _intervalCount > 0 ? _intervalLoss / _intervalCount : double.NaN;
        double norm = _intervalCount > 0 ? _intervalNorm / _intervalCount : double.NaN;
        _metrics.Add(new MetricRow(Step, epoch, CharactersSeen, elapsed, lr, loss, norm, validation));
        _intervalLoss = _intervalNorm = 0; _intervalCount = 0;
        _lastValidation = double.IsNaN(validation) ? _lastValidation : validation;
    }

    /// <summary>Validation loss over the split (or its first --eval-chars), in B streams of T-step chunks.</summary>
    public LossSum ScoreValidation()
    {
        // The split never changes during a run: decode it to ids once, not at every evaluation.
        _validationIds ??= _validation.Slice(0, _options.EvalChars > 0 ? Math.Min(_options.EvalChars, _validation.Length) : _validation.Length).ToArray();
        return StreamEvaluator.Score(Network, _validationIds, streams: _options.Batch, chunk: _options.SeqLen, threads: _options.Threads);
    }

    private void EmitSamples()
    {
        if (Sampled is null || _options.SampleLength == 0 || _options.SampleTemperatures.Length == 0) return;
        _sampledAtStep = Step;
        var inference = new InferenceModel(Network);
        // A generator of its own, derived from the seed and step: printing samples never changes training.
        var rng = new Rng(_options.Seed ^ (ulong)Step * 0x9E3779B97F4A7C15UL);
        const int snippet = 40;
        int start = _train.Length > snippet ? rng.NextInt(_train.Length - snippet) : 0;
        var promptIds = new int[Math.Min(snippet, _train.Length)];
        _train.CopyTo(start, promptIds);
        string prompt = Vocabulary.Decode(promptIds);
        foreach (float temperature in _options.SampleTemperatures)
        {
            var ids = TextGenerator.Generate(inference, promptIds, _options.SampleLength, new SamplingOptions(temperature),
                new Rng(rng.NextUInt64())).ToArray();
            Sampled(new SampleReport(Step, temperature, prompt, Vocabulary.Decode(ids)));
        }
    }

    /// <summary>A snapshot from which <see cref="Trainer"/> continues exactly.</summary>
    public TrainingCheckpoint CaptureCheckpoint() => new(
        Options: _options,
        Config: Network.Config,
        Parameters: (float[])Network.Parameters.Clone(),
        Vocabulary: Vocabulary.ToStrings(),
        CorpusName: _corpusName,
        CorpusSha256: _corpusSha256,
        OptimizerName: _guard.Optimizer.Name,
        OptimizerSteps: _guard.Optimizer.StepCount,
        OptimizerBuffers: _guard.Optimizer.StateBuffers.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone()),
        RngState: _rng.GetState(),
        Epoch: _batches.Cursor.Epoch,
        BatchIndex: _batches.Cursor.Batch,
        StateH: (float[])_state.H.Clone(),
        StateC: (float[])_state.C.Clone(),
        Step: Step,
        CharactersSeen: CharactersSeen,
        SkippedSteps: _guard.SkippedSteps,
        ConsecutiveSkipped: _guard.ConsecutiveSkipped,
        BestValidationLoss: BestValidationLoss,
        ElapsedSeconds: Elapsed(),
        Metrics: _metrics.ToArray());

    private void Restore(TrainingCheckpoint cp)
    {
        if (cp.CorpusSha256 != _corpusSha256)
            throw new InvalidOperationException($"The checkpoint was trained on '{cp.CorpusName}' (sha256 {cp.CorpusSha256[..12]}…) but this corpus is "
                + $"'{_corpusName}' (sha256 {_corpusSha256[..12]}…). Resume with the original corpus, or start a new run in another --out folder.");
        if (!cp.Vocabulary.SequenceEqual(Vocabulary.ToStrings()))
            throw new InvalidOperationException(VocabularyDifference(cp.Vocabulary, Vocabulary.ToStrings()));
        if (cp.Config != Network.Config)
            throw new InvalidOperationException($"The checkpoint's model ({Describe(cp.Config)}) differs from the "
                + $"requested one ({Describe(Network.Config)}). Resume without model options, or start a new run.");
        if (cp.OptimizerName != _guard.Optimizer.Name)
            throw new InvalidOperationException($"The checkpoint used the {cp.OptimizerName} optimizer, not {_guard.Optimizer.Name}.");
        cp.Parameters.CopyTo(Network.Parameters, 0);
        foreach (var (name, buffer) in _guard.Optimizer.StateBuffers)
        {
            if (!cp.OptimizerBuffers.TryGetValue(name, out var saved) || saved.Length != buffer.Length)
                throw new InvalidOperationException($"The checkpoint lacks optimizer state '{name}'.");
            saved.CopyTo(buffer, 0);
        }
        _guard.Optimizer.RestoreStepCount(cp.OptimizerSteps);
        _rng.SetState(cp.RngState);
        _batches.Cursor = new BatchCursor(cp.Epoch, cp.BatchIndex);
        cp.StateH.CopyTo(_state.H, 0);
        cp.StateC.CopyTo(_state.C, 0);
        Step = cp.Step;
        CharactersSeen = cp.CharactersSeen;
        _guard.SkippedSteps = cp.SkippedSteps;
        _guard.ConsecutiveSkipped = cp.ConsecutiveSkipped;
        BestValidationLoss = cp.BestValidationLoss;
        _elapsedBefore = cp.ElapsedSeconds;
        _metrics.AddRange(cp.Metrics);
        // What --patience counts, as the uninterrupted run had it: validation passes after the best one.
        var validated = cp.Metrics.Where(m => !double.IsNaN(m.ValidationLoss)).Select(m => m.ValidationLoss).ToList();
        int best = validated.Count == 0 ? -1 : validated.IndexOf(validated.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min());
        EvaluationsSinceBest = best < 0 ? validated.Count : validated.Count - 1 - best;
        _lastValidation = _metrics.LastOrDefault(m => !double.IsNaN(m.ValidationLoss))?.ValidationLoss ?? double.NaN;
        _validatedAtStep = _metrics.LastOrDefault(m => !double.IsNaN(m.ValidationLoss))?.Step ?? -1;
    }

    private static string VocabularyDifference(string[] saved, string[] current)
    {
        static string List(IEnumerable<string> entries)
        {
            // Entries of a valid checkpoint are single scalars; anything else is shown as its code units.
            var scalars = entries.Select(e => e.EnumerateRunes().Count() == 1 ? e.EnumerateRunes().First().Value : -1).ToList();
            return scalars.Count == 0 ? "none" : TextScalars.DescribeList(scalars, limit: 10);
        }
        return $"The checkpoint's vocabulary ({saved.Length} characters) differs from the one for this corpus ({current.Length} characters): " +
            $"only the checkpoint has {List(saved.Except(current, StringComparer.Ordinal))}; only "
                + $"this corpus has {List(current.Except(saved, StringComparer.Ordinal))}. " +
            "Resume with the original corpus and the same corpus options (such as --lowercase), or start a new run in another --out folder.";
    }

    private static string Describe(ModelConfig c) => $"{c.Layers}×{c.HiddenSize}, embedding {(c.OneHot ? "one-hot" : c.EmbeddingSize)}, dropout {c.Dropout}";
}
