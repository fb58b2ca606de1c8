namespace CharLstm.Tests.Cli;

/// <summary>
/// <c>charlstm generate</c> at its edges, through the real CLI: what goes to which stream, seeds that can be
/// repeated, stop sequences, prompts from files and standard input, interactive mode, and text options
/// carried from training.
/// </summary>
public sealed class GenerateEdgeTests(TrainedRunFixture run, ITestOutputHelper output) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void Without_a_seed_the_drawn_seed_goes_to_stderr_and_repeats_the_text()
    {
        var first = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt", "the ", "--length", "80");
        Assert.Equal(0, first.ExitCode);
        var match = System.Text.RegularExpressions.Regex.Match(first.Stderr, @"seed: (\d+)");
        Assert.True(match.Success, first.Stderr);
        Assert.DoesNotContain("seed", first.Stdout);
        var again = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt", "the ", "--length", "80", "--seed", match.Groups[1].Value);
        Assert.Equal(first.Stdout, again.Stdout);
        Assert.Equal("", again.Stderr); // a given seed is not echoed

        var quiet = run.Cli.Run("generate", "-m", run.RunFolder, "--length", "20", "--samples", "2", "--quiet");
        Assert.Equal(0, quiet.ExitCode);
        Assert.Equal("", quiet.Stderr);
    }

    [Fact]
    public void Samples_use_seeds_that_never_overlap_another_base_seed()
    {
        // With seed + i, sample 2 of seed 7 would be sample 1 of seed 8.
        var seven = run.Cli.Run("generate", "-m", run.RunFolder, "--length", "60", "--samples", "2", "--seed", "7");
        var eight = run.Cli.Run("generate", "-m", run.RunFolder, "--length", "60", "--seed", "8");
        string[] samples = seven.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual(samples[1], eight.Stdout.TrimEnd('\n'));
        Assert.Contains("--- sample 1 of 2 (seed 7) ---", seven.Stderr);
    }

    [Theory]
    [InlineData("--stop", ".", '.')]
    [InlineData("--stop-at-newline", null, '\n')]
    public void A_stop_ends_the_text_just_before_it(string option, string? value, char stop)
    {
        string[] common = ["generate", "-m", run.RunFolder, "--prompt", "the ", "--length", "400", "--seed", "3"];
        var free = run.Cli.Run(common);
        string text = free.Stdout[..^1]; // the closing newline
        Assert.Contains(stop, text[4..]); // the test means something only if the free text reaches the stop
        var stopped = run.Cli.Run([.. common, option, .. value is null ? Array.Empty<string>() : [value]]);
        output.WriteLine(stopped.All);
        Assert.Equal(0, stopped.ExitCode);
        Assert.Equal(text[..text.IndexOf(stop, 4)] + "\n", stopped.Stdout);
    }

    [Fact]
    public void A_prompt_comes_from_a_file_or_from_standard_input()
    {
        File.WriteAllText(run.Cli.PathOf("prompt.txt"), "the old king");
        var fromFile = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "prompt.txt", "--length", "30", "--seed", "5");
        var fromStdin = run.Cli.RunWithInput("the old king", "generate", "-m", run.RunFolder, "--prompt-file", "-", "--length", "30", "--seed", "5");
        var typed = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt", "the old king", "--length", "30", "--seed", "5");
        Assert.Equal(0, fromFile.ExitCode);
        Assert.Equal(typed.Stdout, fromFile.Stdout);
        Assert.Equal(typed.Stdout, fromStdin.Stdout);
    }

    [Fact]
    public void Bad_prompt_files_say_what_is_wrong()
    {
        Directory.CreateDirectory(run.Cli.PathOf("a-folder"));
        var folder = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "a-folder");
        folder.AssertNoStackTrace();
        Assert.Equal(1, folder.ExitCode);
        Assert.Contains("is a folder", folder.Stderr);

        var missing = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "nope.txt");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no file at 'nope.txt'", missing.Stderr);

        File.WriteAllText(run.Cli.PathOf("unknown.txt"), "the Zebra");
        var unknown = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "unknown.txt");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("U+005A", unknown.Stderr);
        Assert.Equal("", unknown.Stdout); // refused before anything is printed

        if (File.Exists("/dev/zero"))
        {
            var zero = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "/dev/zero");
            zero.AssertNoStackTrace();
            Assert.Equal(1, zero.ExitCode);
            Assert.Contains("NUL byte", zero.Stderr);
        }
    }

    [Theory]
    [InlineData("--prompt", "the")]
    [InlineData("--samples", "3")]
    public void Interactive_mode_refuses_options_it_would_ignore(string option, string value)
    {
        var r = run.Cli.RunWithInput("the\n", "generate", "-m", run.RunFolder, "--interactive", option, value);
        r.AssertNoStackTrace();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Stderr);
    }

    [Fact]
    public void Interactive_mode_reports_a_bad_line_and_goes_on()
    {
        var r = run.Cli.RunWithInput("the cat\nZ\na dog\n", "generate", "-m", run.RunFolder, "--interactive", "--length", "10", "--seed", "1");
        output.WriteLine(r.All);
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("line 2", r.Stderr);
        string[] lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("the cat", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("a dog", StringComparison.Ordinal));
        Assert.DoesNotContain("> ", r.Stderr); // no prompt marker when standard input is not a terminal
        Assert.DoesNotContain("Type a prompt", r.Stderr);
    }

    [Fact]
    public void Text_options_of_training_apply_to_prompts_and_eval()
    {
        var cli = run.Cli;
        string upper = cli.PathOf("upper.txt");
        File.WriteAllText(upper, File.ReadAllText(run.Corpus).ToUpperInvariant().Replace("\n", "\r\n"));
        var train = cli.Run("train", upper, "--lowercase", "--normalize-newlines", "--max-steps", "2", "--batch", "2", "--seq-len", "8",
            "--hidden", "8", "--layers", "1", "--sample-length", "0", "--out", "lower", "--plain");
        Assert.Equal(0, train.ExitCode);

        var inspect = cli.Run("inspect", "lower");
        Assert.DoesNotContain("'T'", inspect.Stdout);
        Assert.DoesNotContain("\\r", inspect.Stdout);

        // The model never saw an upper-case letter or a CR, yet a prompt in capitals with CRLF is read as training read it.
        var generate = cli.Run("generate", "-m", "lower", "--prompt", "THE CAT\r\n", "--length", "5", "--seed", "1");
        output.WriteLine(generate.All);
        Assert.Equal(0, generate.ExitCode);
        Assert.StartsWith("the cat\n", generate.Stdout);
        var eval = cli.Run("eval", "-m", "lower", upper);
        Assert.Equal(0, eval.ExitCode);
        Assert.Contains("0 skipped", eval.Stdout);
    }
}
