using System.Diagnostics;
using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Training;

/// <summary>
/// The model size for a time budget. Each size in <see cref="Sizes"/> trains a few steps on this machine; the budget
/// turns each measured rate into the characters that size would see; the largest size that would see at least its
/// <see cref="Size.MinCharacters"/> is chosen. Below that many characters the next smaller size reached a lower
/// validation loss in the same time (docs/quality.md has the runs behind each threshold).
/// </summary>
public static class BudgetSizing
{
    /// <summary>One model size and the characters it needs to beat the size before it.</summary>
    public sealed record Size(int Layers, int Hidden, int Embedding, float Dropout, long MinCharacters)
    {
        /// <summary>"2×256, embedding 64, dropout 0.1".</summary>
        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{Layers}×{Hidden}, {(Embedding == 0 ? "one-hot" : $"embedding {Embedding}")}, dropout {Dropout}");

        /// <summary><paramref name="o"/> with this size's model.</summary>
        public TrainingOptions Apply(TrainingOptions o) => o with { Layers = Layers, HiddenSize = Hidden, EmbeddingSize = Embedding, Dropout = Dropout };
    }

    /// <summary>A size's measured speed and what the budget buys at that speed.</summary>
    public sealed record Estimate(Size Size, double CharsPerSecond, double Characters);

    /// <summary>The size chosen, every estimate behind the choice, and the time the measuring took.</summary>
    public sealed record Choice(Size Chosen, IReadOnlyList<Estimate> Estimates, TimeSpan Measuring);

    /// <summary>
    /// The sizes, smallest first; the first has no threshold. Tiny Shakespeare, the default recipe: 2×128 and 2×256 tied
    /// (1.545 and 1.543) at 2.5 minutes, where 2×256 saw 5.6M characters; below that 2×128 was ahead (0.10 at 1 minute),
    /// above it 2×256 (0.07 at 5 minutes). Dropout 0.25 pays once a run sees the text often enough to overfit it: at
    /// 14M characters 0.1 still led by 0.01, and 15-minute runs ended 0.01 lower with 0.25 (24M characters) than with 0.1
    /// (33M); 20M, between the two, is where this table switches.
    /// </summary>
    public static readonly Size[] Sizes =
    [
        new(2, 128, 64, 0.0f, 0),
        new(2, 256, 64, 0.1f, 5_600_000),
        new(2, 256, 64, 0.25f, 20_000_000),
    ];

    /// <summary>
    /// The share of the measured rate a timed run is expected to keep: the measurement leaves out the optimiser, clipping,
    /// validation and saving. The default model's 5- and 15-minute runs in docs/quality.md kept 0.79–0.80 of it, so these
    /// estimates ran about 6% above the characters those runs saw.
    /// </summary>
    public const double TrainingShare = 0.85;

    /// <summary>Measures every size on this machine with <paramref name="o"/>'s batch, length and threads, and chooses.</summary>
    public static Choice Choose(TrainingOptions o, int vocabSize, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var rates = new Dictionary<(int, int, int), double>(); // sizes that differ only in dropout are measured once
        var estimates = Sizes.Select(size =>
        {
            var shape = (size.Layers, size.Hidden, size.Embedding);
            if (!rates.TryGetValue(shape, out double rate)) rates[shape] = rate = MeasureCharsPerSecond(size.Apply(o), vocabSize);
            return new Estimate(size, rate, rate * TrainingShare * budget.TotalSeconds);
        }).ToArray();
        return new Choice(Pick(estimates), estimates, clock.Elapsed);
    }

    /// <summary>The largest size whose estimate reaches its threshold.</summary>
    public static Size Pick(IReadOnlyList<Estimate> estimates) => estimates.Last(e => e.Characters >= e.Size.MinCharacters || e == estimates[0]).Size;

    /// <summary>
    /// Training characters per second of <paramref name="o"/>'s model: forward and backward over random characters,
    /// timed over <paramref name="steps"/> steps after one untimed step (what a timed run's steps cost, less the
    /// optimiser, which is a small share).
    /// </summary>
    public static double MeasureCharsPerSecond(TrainingOptions o, int vocabSize, int steps = 2)
    {
        var config = o.ModelConfig(vocabSize);
        var rng = new Rng(o.Seed);
        var model = LstmModel.CreateInitialized(config, rng);
        using var pass = new NetworkPass(config, o.Batch, o.SeqLen, o.Threads);
        var state = new LstmState(config, o.Batch);
        var inputs = new int[o.Batch * o.SeqLen];
        var targets = new int[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) { inputs[i] = rng.NextInt(vocabSize); targets[i] = rng.NextInt(vocabSize); }
        var gradients = new float[model.Parameters.Length];
        long started = 0;
        for (int s = 0; s <= steps; s++)
        {
            if (s == 1) started = Stopwatch.GetTimestamp();
            pass.Forward(model, inputs, targets, state, training: true, rng);
            pass.Backward(model, gradients);
        }
        return (double)steps * inputs.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }
}
