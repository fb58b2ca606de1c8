using CharLstm.IO;
using CharLstm.Training;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.Training;

/// <summary>
/// A run stopped and resumed through a checkpoint file continues bit for bit like the run that never stopped;
/// resuming against another corpus or vocabulary is refused with a message that says which.
/// </summary>
public class ResumeTests(ITestOutputHelper output)
{
    private static readonly string Text = TinyRuns.Text(1500, seed: 5);

    private sealed record Run(List<(long Step, int LossBits)> Losses, float[] Weights, List<MetricRow> Metrics, StopReason Reason);

    private static Run Record(Trainer trainer, Func<Trainer, long, bool>? stopAfter = null)
    {
        var losses = new List<(long, int)>();
        using var cancel = new CancellationTokenSource();
        trainer.StepCompleted += s =>
        {
            losses.Add((s.Step, BitConverter.SingleToInt32Bits(s.Loss)));
            if (stopAfter?.Invoke(trainer, s.Step) == true) cancel.Cancel();
        };
        var reason = trainer.Run(cancel.Token);
        return new Run(losses, (float[])trainer.Network.Parameters.Clone(), [.. trainer.Metrics], reason);
    }

    private static TrainingCheckpoint ThroughFile(TrainingCheckpoint checkpoint)
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "last.checkpoint.safetensors");
        CheckpointFile.Save(checkpoint, path);
        return CheckpointFile.Load(path);
    }

    private static void AssertSameRun(Run expected, Run actual)
    {
        Assert.Equal(expected.Losses, actual.Losses);
        Assert.Equal(expected.Weights.Select(BitConverter.SingleToInt32Bits), actual.Weights.Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>Metrics rows without the wall-clock column, which no two runs share.</summary>
    private static List<MetricRow> Timeless(IEnumerable<MetricRow> rows) => [.. rows.Select(r => r with { ElapsedSeconds = 0 })];

    [Theory]
    [InlineData(20)] // at an evaluation: the metrics rows match too
    [InlineData(13)] // between evaluations, where the stop adds its own closing evaluation
    [InlineData(1)]
    public void Stopped_and_resumed_run_matches_the_uninterrupted_one_bit_for_bit(int stopStep)
    {
        var corpus = Corpus(Text);
        var options = Options; // dropout 0.2, Adam, cosine with warm-up, evaluations every 10 steps, 40 steps
        var whole = Record(NewTrainer(corpus, options));

        var first = NewTrainer(corpus, options);
        var head = Record(first, (_, step) => step == stopStep);
        Assert.Equal(StopReason.Cancelled, head.Reason);
        var second = NewTrainer(corpus, options, ThroughFile(first.CaptureCheckpoint()));
        Assert.Equal(stopStep, second.Step);
        var tail = Record(second);

        output.WriteLine($"stopped at {stopStep}: final train loss {BitConverter.Int32BitsToSingle(whole.Losses[^1].LossBits)}, {whole.Metrics.Count} metrics rows");
        Assert.Equal(StopReason.MaxSteps, tail.Reason);
        AssertSameRun(whole, new Run([.. head.Losses, .. tail.Losses], tail.Weights, tail.Metrics, tail.Reason));
        if (stopStep % options.EvalInterval == 0)
            Assert.Equal(Timeless(whole.Metrics), Timeless(tail.Metrics));
    }

    [Fact]
    public void Checkpoint_saved_mid_run_resumes_like_the_run_that_went_on()
    {
        // The crash case: the CLI saves the checkpoint when asked (after each evaluation), and the process dies later.
        var corpus = Corpus(Text);
        var trainer = NewTrainer(corpus, Options);
        TrainingCheckpoint? saved = null;
        trainer.SaveRequested += save => { if (trainer.Step == 30) saved = ThroughFile(trainer.CaptureCheckpoint()); };
        var whole = Record(trainer);
        Assert.NotNull(saved);

        var tail = Record(NewTrainer(corpus, Options, saved));
        Assert.Equal(whole.Losses.Where(l => l.Step > 30), tail.Losses);
        Assert.Equal(whole.Weights, tail.Weights);
        Assert.Equal(Timeless(whole.Metrics), Timeless(tail.Metrics));
    }

    [Fact]
    public void Resume_with_another_corpus_is_refused_naming_both_corpora()
    {
        var trainer = NewTrainer(Corpus(Text, "original.txt"), Options with { MaxSteps = 2 });
        trainer.Run(TestContext.Current.CancellationToken);
        var checkpoint = ThroughFile(trainer.CaptureCheckpoint());
        var other = Corpus(Text + "the end.\n", "other.txt");
        var e = Assert.Throws<InvalidOperationException>(() => NewTrainer(other, Options, checkpoint));
        Assert.Contains("'original.txt'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'other.txt'", e.Message, StringComparison.Ordinal);
        Assert.Contains("corpus", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resume_with_another_vocabulary_is_refused_saying_which_characters_differ()
    {
        // Same corpus bytes (so the same checksum), but a model whose vocabulary lacks a character and has another:
        // what happens when corpus options such as --lowercase change between the runs.
        var corpus = Corpus(Text);
        var trainer = NewTrainer(corpus, Options with { MaxSteps = 2 });
        trainer.Run(TestContext.Current.CancellationToken);
        var checkpoint = ThroughFile(trainer.CaptureCheckpoint());
        string[] changed = [.. checkpoint.Vocabulary.Where(c => c != "w").Append("Z").Order(StringComparer.Ordinal)];
        var vocabulary = global::CharLstm.Data.Vocabulary.FromStrings(changed);
        var network = new global::CharLstm.Model.LstmModel(Options.ModelConfig(vocabulary.Size));
        var encoded = global::CharLstm.Data.EncodedCorpus.FromIds(new int[100], vocabulary.Size);
        var e = Assert.Throws<InvalidOperationException>(() => new Trainer(network, vocabulary, corpus, encoded, Options, checkpoint));
        output.WriteLine(e.Message);
        Assert.Contains("vocabulary", e.Message, StringComparison.Ordinal);
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'Z'", e.Message, StringComparison.Ordinal);
    }
}
