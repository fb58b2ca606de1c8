using CharLstm.Training;

namespace CharLstm.Tests.Training;

/// <summary>The model size a time budget buys: the rule over measured speeds, and the measuring itself.</summary>
public sealed class BudgetSizingTests
{
    private static BudgetSizing.Estimate[] Buying(params double[] characters) =>
        BudgetSizing.Sizes.Select((size, i) => new BudgetSizing.Estimate(size, characters[i] / 60, characters[i])).ToArray();

    [Fact]
    public void The_sizes_grow_or_regularise_more_and_so_do_their_thresholds()
    {
        var sizes = BudgetSizing.Sizes;
        Assert.Equal(0, sizes[0].MinCharacters);
        for (int i = 1; i < sizes.Length; i++)
        {
            int width = sizes[i].Hidden * sizes[i].Layers, before = sizes[i - 1].Hidden * sizes[i - 1].Layers;
            Assert.True(width > before || (width == before && sizes[i].Dropout > sizes[i - 1].Dropout), $"size {i} is neither larger nor more regularised");
            Assert.True(sizes[i].MinCharacters > sizes[i - 1].MinCharacters, $"size {i}'s threshold is not larger");
        }
    }

    [Fact]
    public void The_largest_size_that_sees_its_threshold_is_chosen()
    {
        var sizes = BudgetSizing.Sizes;
        long second = sizes[1].MinCharacters, third = sizes[2].MinCharacters;
        // Too little time for anything but the smallest, even when the smallest sees almost nothing.
        Assert.Same(sizes[0], BudgetSizing.Pick(Buying(10, 5, 1)));
        Assert.Same(sizes[0], BudgetSizing.Pick(Buying(3.0 * second, second - 1, third / 10.0)));
        Assert.Same(sizes[1], BudgetSizing.Pick(Buying(3.0 * third, second, third - 1)));
        Assert.Same(sizes[2], BudgetSizing.Pick(Buying(9.0 * third, 3.0 * third, third)));
        // A larger size that reaches its threshold wins even if a middle one would not (a machine fast on wide products).
        Assert.Same(sizes[2], BudgetSizing.Pick(Buying(9.0 * third, second - 1, third)));
    }

    [Fact]
    public void Measuring_a_size_gives_its_training_speed_and_the_choice_spends_time_on_it()
    {
        var o = new TrainingOptions { Batch = 4, SeqLen = 16, Threads = 1 };
        double rate = BudgetSizing.MeasureCharsPerSecond(o with { Layers = 1, HiddenSize = 16, EmbeddingSize = 8 }, vocabSize: 30);
        Assert.True(double.IsFinite(rate) && rate > 0, $"rate {rate}");

        var choice = BudgetSizing.Choose(o, vocabSize: 30, TimeSpan.FromSeconds(10));
        Assert.Equal(BudgetSizing.Sizes.Length, choice.Estimates.Count);
        foreach (var e in choice.Estimates)
            Assert.Equal(e.CharsPerSecond * BudgetSizing.TrainingShare * 10, e.Characters, 6);
        Assert.Same(BudgetSizing.Pick(choice.Estimates), choice.Chosen);
        Assert.True(choice.Measuring > TimeSpan.Zero);
    }
}
