using CharLstm.IO;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.IO;

/// <summary>--keep N: the previous last files get step-numbered copies, and only the N most recent stay.</summary>
public class CheckpointRotationTests
{
    [Fact]
    public void Preserve_last_keeps_the_n_most_recent_steps_as_loadable_pairs()
    {
        using var folder = new TempFolder();
        var corpus = Corpus(Text(1500, 3));
        var trainer = NewTrainer(corpus, Options with { MaxSteps = 50, EvalInterval = 5 });
        var preserved = new List<long?>();
        var saved = new List<long>();
        trainer.SaveRequested += _ =>
        {
            saved.Add(trainer.Step);
            preserved.Add(CheckpointRotation.PreserveLast(folder.Path, keep: 3));
            CheckpointFile.Save(trainer.CaptureCheckpoint(), Path.Combine(folder.Path, CheckpointRotation.LastCheckpointName));
            TinyRuns.SaveModel(trainer, Path.Combine(folder.Path, CheckpointRotation.LastModelName));
        };
        trainer.Run(TestContext.Current.CancellationToken);

        // Saves come after every evaluation, at the epoch end and at the end; each preserves the one before it.
        Assert.Equal([null, .. saved.SkipLast(1).Select(s => (long?)s)], preserved);
        long[] kept = [.. saved.SkipLast(1).Distinct().TakeLast(3)];
        Assert.Equal(kept, CheckpointRotation.KeptSteps(folder.Path));
        string[] expected = ["last.checkpoint.safetensors", "last.safetensors",
            .. kept.SelectMany(s => new[] { CheckpointRotation.CheckpointName(s), CheckpointRotation.ModelName(s) })];
        Assert.Equal(expected.Order(StringComparer.Ordinal), Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("step-00000045.checkpoint.safetensors", CheckpointRotation.CheckpointName(45));
        foreach (long step in CheckpointRotation.KeptSteps(folder.Path))
        {
            Assert.Equal(step, CheckpointFile.Load(Path.Combine(folder.Path, CheckpointRotation.CheckpointName(step))).Step);
            CharLanguageModel.Load(Path.Combine(folder.Path, CheckpointRotation.ModelName(step)));
        }
    }

    [Fact]
    public void Preserve_last_with_keep_zero_writes_and_deletes_nothing()
    {
        using var folder = new TempFolder();
        CheckpointFile.Save(Checkpoint(steps: 2), Path.Combine(folder.Path, CheckpointRotation.LastCheckpointName));
        folder.Write("step-00000001.safetensors", "an earlier run's file");
        Assert.Null(CheckpointRotation.PreserveLast(folder.Path, keep: 0));
        Assert.Equal(2, Directory.GetFiles(folder.Path).Length);
    }

    [Fact]
    public void Preserve_last_skips_a_damaged_checkpoint_and_ignores_other_files()
    {
        using var folder = new TempFolder();
        folder.Write(CheckpointRotation.LastCheckpointName, "not a checkpoint");
        folder.Write(".step-00000009.safetensors.0123456789abcdef.tmp", "a temporary");
        folder.Write("step-notes.safetensors", "not step-numbered");
        Assert.Null(CheckpointRotation.PreserveLast(folder.Path, keep: 1));
        Assert.Empty(CheckpointRotation.KeptSteps(folder.Path));
        Assert.Equal(3, Directory.GetFiles(folder.Path).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointRotation.PreserveLast(folder.Path, keep: -1));
    }
}
