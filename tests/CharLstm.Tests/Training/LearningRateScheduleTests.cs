using CharLstm.Training;

namespace CharLstm.Tests.Training;

/// <summary>The learning-rate schedules, rate by rate; the WSD schedule on its step and time clocks.</summary>
public sealed class LearningRateScheduleTests
{
    private static readonly TrainingOptions Wsd = new()
    {
        Schedule = ScheduleKind.Wsd, LearningRate = 1e-2, WarmupSteps = 10, DecayFraction = 0.25, MinLearningRateFraction = 0.1,
    };

    [Theory]
    [InlineData(0, 0.0, 1e-3)] // warm-up: (step + 1) / warm-up of the peak
    [InlineData(9, 0.1, 1e-2)] // the last warm-up step reaches the peak
    [InlineData(10, 0.1, 1e-2)] // stable
    [InlineData(500, 0.75, 1e-2)] // the decay starts at 1 - 0.25 of the run
    [InlineData(600, 0.875, 5.5e-3)] // halfway down, linearly, to 0.1 of the peak
    [InlineData(700, 1.0, 1e-3)] // the floor at the end
    [InlineData(900, 1.0, 1e-3)] // and past it
    public void Wsd_warms_up_holds_the_peak_then_decays_linearly_to_the_floor(long step, double progress, double expected)
    {
        Assert.Equal(expected, LearningRateSchedule.At(Wsd, step, horizon: 1000, progress), 12);
    }

    [Fact]
    public void Wsd_follows_the_steps_when_no_progress_is_given()
    {
        Assert.Equal(1e-2, LearningRateSchedule.At(Wsd, 750, 1000), 12);
        Assert.Equal(5.5e-3, LearningRateSchedule.At(Wsd, 875, 1000), 12);
        Assert.Equal(1e-3, LearningRateSchedule.At(Wsd, 1000, 1000), 12);
    }

    [Fact]
    public void A_timed_wsd_run_ends_its_decay_at_the_deadline_not_at_its_step_horizon()
    {
        // The default run plans thousands of steps; a 3-second budget ends it after a few hundred. The rate the trainer
        // reports must have reached the floor by the last step, and have held the peak until past two thirds of the time.
        var corpus = TinyRuns.Corpus(TinyRuns.Text(20_000, 3));
        var options = TinyRuns.Options with
        {
            Schedule = ScheduleKind.Wsd,
            WarmupSteps = 0,
            DecayFraction = 0.3,
            MinLearningRateFraction = 0.1,
            MaxSteps = 0,
            Epochs = 100_000,
            TimeBudget = TimeSpan.FromSeconds(3),
            EvalInterval = 0,
        };
        using var trainer = TinyRuns.NewTrainer(corpus, options);
        var rates = new List<(double Seconds, double Rate)>();
        trainer.StepCompleted += report => rates.Add((report.Elapsed.TotalSeconds, report.LearningRate));
        Assert.Equal(StopReason.TimeBudget, trainer.Run(TestContext.Current.CancellationToken));
        Assert.True(trainer.Horizon > 10 * rates.Count, $"the step horizon {trainer.Horizon} should lie far beyond the {rates.Count} steps run");
        double peak = options.LearningRate, floor = peak * options.MinLearningRateFraction;
        Assert.All(rates.Where(r => r.Seconds < 0.6 * 3), r => Assert.Equal(peak, r.Rate, 12));
        // The last step started within a step's time of the deadline: its rate is near the floor.
        double last = rates[^1].Rate;
        Assert.True(last < floor + 0.1 * (peak - floor), $"last rate {last}, floor {floor}");
        Assert.True(rates.Zip(rates.Skip(1)).All(p => p.Second.Rate <= p.First.Rate), "the rate never rises after the warm-up");
    }
}
