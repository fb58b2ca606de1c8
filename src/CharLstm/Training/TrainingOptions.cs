using CharLstm.Data;
using CharLstm.Model;

namespace CharLstm.Training;

/// <summary>
/// Everything that decides a training run, with the defaults a user sees in <c>--help</c>. A preset
/// (<see cref="Presets"/>) overrides only what differs; explicit options override the preset.
/// </summary>
public sealed record TrainingOptions
{
    // ---- model ----
    /// <summary>Stacked LSTM layers.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>Units per layer.</summary>
    public int HiddenSize { get; init; } = 256;
    /// <summary>Embedding width; 0 = one-hot input.</summary>
    public int EmbeddingSize { get; init; } = 64;
    /// <summary>Inverted-dropout probability on every layer's output while training.</summary>
    public float Dropout { get; init; } = 0.1f;
    /// <summary>The model file a fine-tuning run started from (<c>--init-from</c>; kept for the record); null: a fresh initialisation.</summary>
    public string? InitFrom { get; init; }
    /// <summary>Start the forget gate open (bias 1).</summary>
    public bool ForgetBiasOne { get; init; } = true;

    // ---- data ----
    /// <summary>
    /// Parallel streams per batch. 32 rather than 64: twice the updates per character, which bought more validation loss
    /// in a timed run than the wider batch's speed did (docs/quality.md).
    /// </summary>
    public int Batch { get; init; } = 32;
    /// <summary>Truncated backprop-through-time length.</summary>
    public int SeqLen { get; init; } = 100;
    /// <summary>How the corpus' bytes become characters (UTF-8 handling, lower-casing, newlines); kept with the model.</summary>
    public CorpusOptions Text { get; init; } = CorpusOptions.Default;
    /// <summary>Last fraction of the corpus kept for validation (0 allowed).</summary>
    public double ValFraction { get; init; } = 0.1;
    /// <summary>A separate validation text (a file, a folder, or a URL, as given), scored instead of a held-out end; null: none.</summary>
    public string? ValFile { get; init; }

    // ---- optimisation ----
    /// <summary><c>adam</c>, <c>rmsprop</c> or <c>sgd</c>.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>Peak learning rate. 4e-3, twice char-rnn's 2e-3: the rate at which the default model's timed runs ended lowest (docs/quality.md).</summary>
    public double LearningRate { get; init; } = 4e-3;
    /// <summary>Momentum for SGD.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>L2 weight decay (PyTorch's <c>weight_decay</c>).</summary>
    public double WeightDecay { get; init; }
    /// <summary>
    /// Learning-rate schedule. WSD: it holds the peak and decays over the run's last fifth, and a timed run's last fifth
    /// is its last fifth of time, so the decay ends at the deadline whatever the machine's speed (docs/quality.md).
    /// </summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Wsd;
    /// <summary>Warm-up steps for the cosine and WSD schedules.</summary>
    public int WarmupSteps { get; init; } = 100;
    /// <summary>Cosine and WSD floor as a fraction of the peak rate.</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;
    /// <summary>The WSD schedule's decay: the last fraction of the run (of its time budget, or else of its steps).</summary>
    public double DecayFraction { get; init; } = 0.2;
    /// <summary>Step decay factor.</summary>
    public double DecayFactor { get; init; } = 0.97;
    /// <summary>Steps between step decays.</summary>
    public int DecayEvery { get; init; } = 1000;
    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    public double Clip { get; init; } = 5;
    /// <summary>Stop after this many skipped (non-finite) steps in a row.</summary>
    public int MaxConsecutiveSkips { get; init; } = 10;

    // ---- length of the run ----
    /// <summary>Passes over the training split.</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Stop after this many steps (0: no limit).</summary>
    public long MaxSteps { get; init; }
    /// <summary>Stop after this much wall time (null: no limit). Counted across resumes.</summary>
    public TimeSpan? TimeBudget { get; init; }

    // ---- evaluation and samples ----
    /// <summary>Steps between validation passes (0: only at epoch ends).</summary>
    public int EvalInterval { get; init; } = 250;
    /// <summary>Most validation characters scored per evaluation (0: all).</summary>
    public int EvalChars { get; init; }
    /// <summary>Temperatures of the samples printed after each epoch.</summary>
    public float[] SampleTemperatures { get; init; } = [0.2f, 0.5f, 1.0f, 1.2f];
    /// <summary>Characters per printed sample.</summary>
    public int SampleLength { get; init; } = 200;
    /// <summary>Also print samples at every evaluation, not only at epoch ends.</summary>
    public bool SampleAtEval { get; init; }
    /// <summary>
    /// Early stopping: end the run after this many validation passes in a row without a new best (0: never).
    /// The best model is already saved; the run ends with <see cref="StopReason.NoImprovement"/>.
    /// </summary>
    public int Patience { get; init; }

    // ---- reproducibility ----
    /// <summary>Seed for initialisation, dropout, samples.</summary>
    public ulong Seed { get; init; } = 1337;
    /// <summary>Worker threads for the engine.</summary>
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>The model shape these options describe for a vocabulary of <paramref name="vocabSize"/>.</summary>
    public ModelConfig ModelConfig(int vocabSize) => new(vocabSize, EmbeddingSize, HiddenSize, Layers, Dropout);

    /// <summary>Throws <see cref="ArgumentException"/> whose message names the option (as on the command line) and the accepted range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(Layers is >= 1 and <= Model.ModelConfig.MaxLayers, $"--layers must be 1 to {Model.ModelConfig.MaxLayers}, got {Layers}.");
        Require(HiddenSize is >= 1 and <= Model.ModelConfig.MaxHiddenSize, $"--hidden must be 1 to {Model.ModelConfig.MaxHiddenSize}, got {HiddenSize}.");
        Require(EmbeddingSize is >= 0 and <= Model.ModelConfig.MaxEmbeddingSize, $"--embedding must be 0 (one-hot) to {Model.ModelConfig.MaxEmbeddingSize}, "
            + $"got {EmbeddingSize}.");
        Require(Dropout is >= 0f and < 1f, $"--dropout must be in [0, 1), got {Dropout}.");
        Require(Batch is >= 1 and <= 65536, $"--batch must be 1 to 65536, got {Batch}.");
        Require(SeqLen is >= 1 and <= 65536, $"--seq-len must be 1 to 65536, got {SeqLen}.");
        Require(ValFraction is >= 0 and < 1, $"--val-fraction must be in [0, 1), got {ValFraction}.");
        Require(ValFile is null || ValFraction == 0,
            "give either --val-file (a separate validation text) or --val-fraction (the end of the corpus), not both.");
        Require(Optimizer is "adam" or "rmsprop" or "sgd", $"--optimizer must be adam, rmsprop or sgd, got '{Optimizer}'.");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"--lr must be a positive number, got {LearningRate}.");
        Require(Momentum is >= 0 and < 1, $"--momentum must be in [0, 1), got {Momentum}.");
        Require(WeightDecay >= 0, $"--weight-decay must be 0 or more, got {WeightDecay}.");
        Require(WarmupSteps >= 0, $"--warmup must be 0 or more, got {WarmupSteps}.");
        Require(DecayFraction is > 0 and <= 1, $"--decay-fraction must be in (0, 1], got {DecayFraction}.");
        Require(MinLearningRateFraction is >= 0 and <= 1, $"--min-lr-fraction must be in [0, 1], got {MinLearningRateFraction}.");
        Require(DecayFactor is > 0 and <= 1, $"--lr-decay must be in (0, 1], got {DecayFactor}.");
        Require(DecayEvery >= 1, $"--lr-decay-every must be at least 1, got {DecayEvery}.");
        Require(Clip >= 0, $"--clip must be 0 (off) or more, got {Clip}.");
        Require(MaxConsecutiveSkips >= 1, $"--max-skips must be at least 1, got {MaxConsecutiveSkips}.");
        Require(Epochs >= 1, $"--epochs must be at least 1, got {Epochs}.");
        Require(MaxSteps >= 0, $"--max-steps must be 0 (no limit) or more, got {MaxSteps}.");
        Require(TimeBudget is null || TimeBudget > TimeSpan.Zero, $"--time must be positive, got {TimeBudget}.");
        Require(EvalInterval >= 0, $"--eval-interval must be 0 or more, got {EvalInterval}.");
        Require(EvalChars >= 0, $"--eval-chars must be 0 (all) or more, got {EvalChars}.");
        Require(Patience >= 0, $"--patience must be 0 (off) or more, got {Patience}.");
        Require(SampleLength >= 0, $"--sample-length must be 0 or more, got {SampleLength}.");
        Require(SampleTemperatures.All(t => t >= 0 && float.IsFinite(t)), "--sample-temperatures must be numbers of 0 or more.");
        Require(Numerics.ComputeThreads.IsValid(Threads), Numerics.ComputeThreads.RangeMessage("--threads", Threads));
    }
}
