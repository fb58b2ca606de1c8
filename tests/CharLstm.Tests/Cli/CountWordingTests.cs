namespace CharLstm.Tests.Cli;

/// <summary>A count of one reads in the singular ("1 batch per epoch", "1 byte long"), through the real CLI.</summary>
public sealed class CountWordingTests(ITestOutputHelper output) : IDisposable
{
    private readonly CliRunner _cli = new();
    public void Dispose() => _cli.Dispose();

    private CliRunner.Result Run(params string[] args)
    {
        var r = _cli.Run(args);
        output.WriteLine(r.All);
        return r;
    }

    [Fact]
    public void A_corpus_of_exactly_one_batch_says_1_batch_per_epoch_and_a_run_of_one_step_says_1_step()
    {
        // B×T+1 = 4×16+1 = 65 characters make one batch: streams of ⌊64/4⌋ = 16 = T characters.
        File.WriteAllText(_cli.PathOf("one-batch.txt"), new string('a', 65));
        var train = Run("train", "one-batch.txt", "--val-fraction", "0", "--batch", "4", "--seq-len", "16", "--layers", "1", "--hidden", "8",
            "--epochs", "1", "--sample-length", "0", "--threads", "1", "--out", "o", "--plain");
        Assert.Equal(0, train.ExitCode);
        Assert.Contains("batch 4×16; 1 batch per epoch", train.Stdout);
        Assert.DoesNotContain("1 batches", train.Stdout);

        var model = Run("inspect", "o");
        Assert.Contains("vocabulary:  1 character: a", model.Stdout);
        Assert.Contains("progress:    1 step, 64 characters seen", model.Stdout);
        var checkpoint = Run("inspect", "o", "--checkpoint");
        Assert.Contains("checkpoint:  step 1, epoch 1 of 1 done; 64 characters seen", checkpoint.Stdout);
        Assert.Contains("length:      1 epoch (--epochs)", checkpoint.Stdout);
        Assert.Contains("best val:    none (no validation split)", checkpoint.Stdout);

        File.WriteAllText(_cli.PathOf("two.txt"), "aa");
        var eval = Run("eval", "-m", "o", "two.txt");
        Assert.Equal(0, eval.ExitCode);
        Assert.Contains("over 1 character;", eval.Stdout);
    }

    [Fact]
    public void A_corpus_of_one_character_is_refused_in_the_singular()
    {
        File.WriteAllText(_cli.PathOf("one.txt"), "a");
        var r = Run("train", "one.txt", "--val-fraction", "0", "--out", "o");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("The corpus of 1 character is shorter than one training window", r.Stderr);
    }

    [Fact]
    public void A_one_byte_file_is_refused_in_the_singular()
    {
        File.WriteAllBytes(_cli.PathOf("one-byte.safetensors"), [(byte)'x']);
        var r = Run("inspect", "one-byte.safetensors");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("the file is 1 byte long, shorter than the 8-byte header length", r.Stderr);
    }

    [Fact]
    public void Bench_on_one_thread_and_one_call_says_so_in_the_singular()
    {
        var peak = Run("bench", "--mode", "peak", "--threads", "1", "--seconds", "0.01", "--reps", "1", "--warmup", "0");
        Assert.Equal(0, peak.ExitCode);
        Assert.Contains("GFLOP/s on 1 thread", peak.Stderr);
        Assert.DoesNotContain("1 threads", peak.Stderr);
        // A repetition shorter than one step still takes that one step.
        var train = Run("bench", "--mode", "train", "--seconds", "0.000001", "--reps", "1", "--warmup", "0", "--hidden", "16", "--layers", "1",
            "--batch", "2", "--seq", "4");
        Assert.Equal(0, train.ExitCode);
        Assert.Contains("rep 1/1: 1 call in ", train.Stderr);
    }
}
