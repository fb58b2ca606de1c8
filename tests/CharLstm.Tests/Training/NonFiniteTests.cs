using CharLstm.IO;
using CharLstm.Training;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.Training;

/// <summary>
/// Non-finite steps never reach <c>best</c>; after MaxConsecutiveSkips of them training stops with
/// <see cref="StopReason.NonFinite"/> and the files on disk are the last good state.
/// </summary>
public class NonFiniteTests(ITestOutputHelper output)
{
    private static readonly string Text = TinyRuns.Text(1500, seed: 9);

    /// <summary>Saves as the CLI does on every request: checkpoint, last model, best model when it is the best.</summary>
    private static List<long> SaveLikeTheCli(Trainer trainer, string folder)
    {
        var saves = new List<long>();
        trainer.SaveRequested += save =>
        {
            CheckpointFile.Save(trainer.CaptureCheckpoint(), Path.Combine(folder, "last.checkpoint.safetensors"));
            TinyRuns.SaveModel(trainer, Path.Combine(folder, "last.safetensors"));
            if (save.IsBest) TinyRuns.SaveModel(trainer, Path.Combine(folder, "best.safetensors"));
            saves.Add(trainer.Step);
        };
        return saves;
    }

    [Fact]
    public void Poisoned_weights_stop_after_k_skips_with_the_last_good_state_on_disk()
    {
        using var folder = new TempFolder();
        const int poisonAt = 25, skips = 10; // the evaluation at step 30 falls inside the run of skipped steps
        var trainer = NewTrainer(Corpus(Text), Options with { MaxConsecutiveSkips = skips, MaxSteps = 100 });
        var saves = SaveLikeTheCli(trainer, folder.Path);
        float[]? goodWeights = null;
        var evaluations = new List<EvaluationReport>();
        var skipped = new List<long>();
        trainer.Evaluated += evaluations.Add;
        trainer.SaveRequested += _ => goodWeights = (float[])trainer.Network.Parameters.Clone();
        trainer.StepCompleted += s =>
        {
            if (s.Skipped) skipped.Add(s.Step);
            if (s.Step == poisonAt) trainer.Network.View("head.bias")[0] = float.NaN;
        };

        var reason = trainer.Run(TestContext.Current.CancellationToken);

        output.WriteLine($"saves at {string.Join(", ", saves)}; skipped {string.Join(", ", skipped)}; best {trainer.BestValidationLoss}");
        Assert.Equal(StopReason.NonFinite, reason);
        Assert.Equal(Enumerable.Range(poisonAt + 1, skips).Select(i => (long)i), skipped);
        Assert.Equal(poisonAt + skips, trainer.Step);
        Assert.Equal([10L, 20L], saves); // none with NaN weights: not at the evaluation of step 30, not at the end
        Assert.True(double.IsFinite(trainer.BestValidationLoss));
        Assert.All(evaluations.Where(e => e.IsBest), e => Assert.True(double.IsFinite(e.Loss.MeanNats)));
        Assert.Equal(evaluations.Where(e => double.IsFinite(e.Loss.MeanNats)).Min(e => e.Loss.MeanNats), trainer.BestValidationLoss);

        var checkpoint = CheckpointFile.Load(Path.Combine(folder.Path, "last.checkpoint.safetensors"));
        Assert.Equal(20, checkpoint.Step);
        Assert.Equal(goodWeights, checkpoint.Parameters);
        Assert.True(double.IsFinite(checkpoint.BestValidationLoss));
        Assert.Equal(goodWeights, CharLanguageModel.Load(Path.Combine(folder.Path, "last.safetensors")).Network.Parameters);
        CharLanguageModel.Load(Path.Combine(folder.Path, "best.safetensors"));
    }

    [Fact]
    public void Diverging_learning_rate_stops_after_k_skips_and_never_records_a_non_finite_best()
    {
        using var folder = new TempFolder();
        var options = Options with { LearningRate = 3e38, Schedule = ScheduleKind.Constant, Clip = 0, MaxConsecutiveSkips = 3, EvalInterval = 1, MaxSteps = 100 };
        var trainer = NewTrainer(Corpus(Text), options);
        var saves = SaveLikeTheCli(trainer, folder.Path);
        var evaluations = new List<EvaluationReport>();
        trainer.Evaluated += evaluations.Add;
        var losses = new List<float>();
        trainer.StepCompleted += s => losses.Add(s.Loss);

        var reason = trainer.Run(TestContext.Current.CancellationToken);

        output.WriteLine($"losses {string.Join(", ", losses)}; evaluations {string.Join(", ", evaluations.Select(e => e.Loss.MeanNats))}; saves at {string.Join(", ", saves)}");
        Assert.Equal(StopReason.NonFinite, reason);
        Assert.True(double.IsNaN(trainer.BestValidationLoss), "no evaluation was finite, so there is no best"); // NaN means none
        Assert.All(evaluations.Where(e => e.IsBest), e => Assert.True(double.IsFinite(e.Loss.MeanNats)));
        // The first step's update overflowed the weights to ∞, so no save was requested (asking one would make the
        // model writer throw); whatever was saved loads.
        foreach (string file in Directory.GetFiles(folder.Path, "*.safetensors"))
        {
            if (file.EndsWith(".checkpoint.safetensors", StringComparison.Ordinal))
                Assert.False(double.IsInfinity(CheckpointFile.Load(file).BestValidationLoss));
            else CharLanguageModel.Load(file);
        }
    }
}
