using System.Diagnostics;
using CharLstm.IO;

namespace CharLstm.Tests.Cli;

/// <summary>
/// The edges a user meets, through the real CLI: values the help accepts but the machine cannot
/// hold, endless inputs, runs that end at awkward steps, folders of the user's own files, signals,
/// and training that diverges. Each asserts the message and the exit code, and what is left on disk.
/// </summary>
public sealed class HardeningTests : IDisposable
{
    private readonly CliRunner _cli = new();
    public void Dispose() => _cli.Dispose();

    private static readonly string[] Tiny = ["--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--sample-length", "0", "--plain"];

    [Theory]
    [InlineData("1", "16384")]
    [InlineData("8", "16384")]
    public void A_model_too_large_for_the_machine_is_refused_with_the_estimate_and_no_folder(string layers, string hidden)
    {
        _cli.WriteCorpus();
        var r = _cli.Run("train", "corpus.txt", "--layers", layers, "--hidden", hidden, "--out", "big");
        r.AssertNoStackTrace();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("needs about", r.Stderr);
        Assert.Contains("GB", r.Stderr);
        Assert.Contains("Lower --hidden", r.Stderr);
        Assert.False(Directory.Exists(_cli.PathOf("big")), "a refused start left a run folder");
    }

    [Theory]
    [InlineData("99999999999h", "longer than the longest run")]
    [InlineData("0s", "not a positive duration")]
    public void Time_out_of_range_exits_2(string time, string message)
    {
        _cli.WriteCorpus();
        var r = _cli.Run("train", "corpus.txt", "--time", time, "--out", "t");
        r.AssertNoStackTrace();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.False(Directory.Exists(_cli.PathOf("t")));
    }

    [Fact]
    public void An_endless_device_is_refused_at_once_as_binary()
    {
        if (!File.Exists("/dev/zero")) Assert.Skip("no /dev/zero on this system");
        var watch = Stopwatch.StartNew();
        var r = _cli.Run("train", "/dev/zero", "--out", "z");
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("binary", r.Stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        Assert.False(Directory.Exists(_cli.PathOf("z")));
    }

    [Fact]
    public void A_corpus_too_short_for_one_window_leaves_no_run_folder()
    {
        File.WriteAllText(_cli.PathOf("short.txt"), "to be or not to be");
        var r = _cli.Run("train", "short.txt", "--batch", "4", "--seq-len", "10", "--val-fraction", "0", "--out", "s");
        Assert.Equal(1, r.ExitCode);
        Assert.False(Directory.Exists(_cli.PathOf("s")));
    }

    [Theory]
    [InlineData(20, 25)]
    [InlineData(30, 25)]
    [InlineData(7, 5)]
    public void Every_run_ends_with_a_validation_of_its_final_weights(int maxSteps, int evalInterval)
    {
        _cli.WriteCorpus();
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", maxSteps.ToString(), "--eval-interval", evalInterval.ToString(), "--out", "v"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"step {maxSteps}: validation loss", r.Stdout);
        var last = File.ReadAllLines(_cli.PathOf("v/metrics.csv"))[^1].Split(',');
        Assert.Equal(maxSteps.ToString(), last[0]);
        Assert.NotEqual("", last[7]); // val_loss
        Assert.Single(File.ReadAllLines(_cli.PathOf("v/metrics.csv")), l => l.StartsWith($"{maxSteps},", StringComparison.Ordinal));
    }

    [Fact]
    public void A_folder_of_other_files_is_never_written_into()
    {
        _cli.WriteCorpus();
        Directory.CreateDirectory(_cli.PathOf("mine"));
        File.WriteAllText(_cli.PathOf("mine/config.json"), "{\"mine\": true}");
        File.WriteAllText(_cli.PathOf("mine/metrics.csv"), "my numbers");
        foreach (var extra in new[] { Array.Empty<string>(), ["--overwrite"] })
        {
            var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "2", "--out", "mine", .. extra]);
            r.AssertNoStackTrace();
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("holds no training run", r.Stderr);
            Assert.Contains("config.json", r.Stderr);
        }
        Assert.Equal("{\"mine\": true}", File.ReadAllText(_cli.PathOf("mine/config.json")));
        Assert.Equal("my numbers", File.ReadAllText(_cli.PathOf("mine/metrics.csv")));
        Directory.CreateDirectory(_cli.PathOf("empty"));
        Assert.Equal(0, _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "2", "--out", "empty"]).ExitCode);
    }

    [Fact]
    public void Overwrite_then_an_early_stop_leaves_no_best_without_a_validation_behind_it()
    {
        _cli.WriteCorpus();
        Assert.Equal(0, _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "4", "--eval-interval", "2", "--out", "o"]).ExitCode);
        Assert.True(File.Exists(_cli.PathOf("o/best.safetensors")));
        // A diverging rerun stops before any validation: the old run's best must not stay, and no new one may appear.
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "200", "--eval-interval", "1000", "--lr", "1e30", "--overwrite",
            "--out", "o"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.False(File.Exists(_cli.PathOf("o/best.safetensors")), "best.safetensors survived or was written without a validation");
    }

    [Fact]
    public void Divergence_stops_with_a_message_and_a_nonzero_exit()
    {
        _cli.WriteCorpus();
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "300", "--lr", "1e30", "--out", "d"]);
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("diverged", r.Stdout);
        Assert.Contains("--lr", r.Stdout);
        Assert.True(File.Exists(_cli.PathOf("d/loss.png")) || !File.Exists(_cli.PathOf("d/metrics.csv")));
    }

    [Fact]
    public async Task Sigterm_finishes_the_step_saves_and_exits_143_with_a_resume_command_naming_the_corpus()
    {
        _cli.WriteCorpus(sentences: 4000);
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _cli.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CharLstm.Cli.dll"));
        foreach (var a in new[] { "train", "corpus.txt", "--hidden", "64", "--batch", "8", "--seq-len", "32", "--epochs", "1000", "--eval-interval", "0",
                     "--lowercase", "--plain", "--out", "r" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(_cli.PathOf("r/config.json")) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Thread.Sleep(1500);
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit();
        Assert.True(p.WaitForExit(60_000), "charlstm did not stop after SIGTERM");
        string output = await stdout + await stderr;
        Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}\n{output}");
        Assert.Contains("stopped by SIGTERM", output);
        Assert.Contains("charlstm train --resume r corpus.txt --lowercase", output);
        Assert.True(CheckpointFile.Load(_cli.PathOf("r/last.checkpoint.safetensors")).Step > 0);
    }

    [Fact]
    public void The_closing_files_line_names_only_files_that_exist()
    {
        _cli.WriteCorpus();
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "3", "--val-fraction", "0", "--out", "f"]);
        Assert.Equal(0, r.ExitCode);
        string files = r.Stdout.Split('\n').Single(l => l.StartsWith("files:", StringComparison.Ordinal));
        foreach (var name in files[(files.IndexOf('(') + 1)..files.IndexOf(')')].Split(", "))
            Assert.True(File.Exists(_cli.PathOf(Path.Combine("f", name))), name);
    }

    [Fact]
    public void A_resume_refuses_changes_to_the_run_applies_the_rest_and_says_so()
    {
        _cli.WriteCorpus();
        Assert.Equal(0, _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "4", "--eval-interval", "2", "--out", "r"]).ExitCode);

        var refused = _cli.Run("train", "corpus.txt", "--resume", "r", "--hidden", "32", "--lowercase", "--max-steps", "8");
        refused.AssertNoStackTrace();
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--hidden 32 (the run has 16)", refused.Stderr);
        Assert.Contains("--lowercase", refused.Stderr);
        Assert.Equal(4, CheckpointFile.Load(_cli.PathOf("r/last.checkpoint.safetensors")).Step);

        var nothing = _cli.Run("train", "corpus.txt", "--resume", "r");
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("nothing to do", nothing.Stderr);
        Assert.Contains("--max-steps", nothing.Stderr);

        var more = _cli.Run("train", "corpus.txt", "--resume", "r", "--max-steps", "6", "--lr", "0.001", "--plain");
        Assert.Equal(0, more.ExitCode);
        Assert.Contains("--max-steps 6 (was 4)", more.All);
        Assert.Contains("--lr 0.001 (was ", more.All);
        var checkpoint = CheckpointFile.Load(_cli.PathOf("r/last.checkpoint.safetensors"));
        Assert.Equal(6, checkpoint.Step);
        Assert.Equal(0.001, checkpoint.Options.LearningRate, 9);
    }

    [Fact]
    public void A_training_split_too_short_names_the_split_and_val_fraction()
    {
        File.WriteAllText(_cli.PathOf("short.txt"), string.Concat(Enumerable.Repeat("to be or not to be. ", 30))); // 600 characters
        var r = _cli.Run("train", "short.txt", "--batch", "4", "--seq-len", "140", "--val-fraction", "0.1", "--out", "s");
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("The training split has 540 characters (the corpus's 600 less the last 60 kept for validation by --val-fraction 0.1)", r.Stderr);
        Assert.Contains("or a smaller --val-fraction", r.Stderr);
        Assert.Equal(0, _cli.Run("train", "short.txt", "--batch", "4", "--seq-len", "140", "--val-fraction", "0", "--max-steps", "1",
            "--hidden", "8", "--layers", "1", "--sample-length", "0", "--out", "s").ExitCode);
    }

    [Fact]
    public void A_folder_with_a_link_loop_is_read_once_with_a_warning()
    {
        if (OperatingSystem.IsWindows()) Assert.Skip("symbolic links need privileges on Windows");
        Directory.CreateDirectory(_cli.PathOf("books/sub"));
        _cli.WriteCorpus("books/a.txt");
        _cli.WriteCorpus("books/sub/b.txt", seed: 2);
        File.CreateSymbolicLink(_cli.PathOf("books/sub/up"), "..");
        var watch = Stopwatch.StartNew();
        var r = _cli.Run(["train", "books", .. Tiny, "--max-steps", "1", "--out", "l"]);
        r.AssertNoStackTrace();
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("sub/up", r.Stderr);
        Assert.Contains("a loop", r.Stderr);
        long characters = File.ReadAllText(_cli.PathOf("books/a.txt")).Length + 1 + File.ReadAllText(_cli.PathOf("books/sub/b.txt")).Length;
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"corpus: books, {characters:N0} characters"), r.Stdout);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void An_out_folder_that_cannot_be_made_is_refused_with_the_reason()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Windows permissions are not Unix modes.");
            return;
        }

        _cli.WriteCorpus();
        string locked = _cli.PathOf("locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string[] args = ["train", _cli.PathOf("corpus.txt"), .. Tiny, "--max-steps", "1", "--out", Path.Combine(locked, "run")];
        // Root may write anywhere, so as root the CLI runs as 'nobody', as in the unreadable-corpus test.
        var r = Environment.UserName == "root" ? _cli.RunAsNobody(args) : _cli.Run(args);
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"--out: cannot create the folder '{Path.Combine(locked, "run")}' (Access to the path", r.Stderr);
        Assert.Contains("Choose a folder you may write to.", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(locked));
    }

    [Fact]
    public void An_out_folder_inside_a_file_is_refused()
    {
        _cli.WriteCorpus();
        var r = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "1", "--out", "corpus.txt/run"]);
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--out: 'corpus.txt/run' lies inside 'corpus.txt', which is a file", r.Stderr);
    }

    [Fact]
    public async Task A_url_corpus_is_not_downloaded_when_the_out_folder_refuses_the_run()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, "the corpus"u8.ToArray()));
        // Any of a run's files makes the folder a run that a new run may not replace without --overwrite.
        Directory.CreateDirectory(_cli.PathOf("m"));
        File.WriteAllText(_cli.PathOf("m/last.safetensors"), "");
        var r = _cli.Run(["train", server.Url("corpus.txt").ToString(), .. Tiny, "--out", "m"]);
        r.AssertNoStackTrace();
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'m' already holds a training run", r.Stderr);
        Assert.Equal(0, server.RequestCount);
    }
}
