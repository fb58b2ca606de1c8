using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CharLstm.IO;
using CharLstm.Numerics;

namespace CharLstm.Tests.Cli;

/// <summary>
/// Writes docs/bad-input.md: hostile inputs run through the real CLI, one table row each with the command, the first
/// error line, the exit code and what was kept. Every row's claims are checked here, then the page is compared with
/// the committed one, or written over it when CHARLSTM_WRITE_DOCS=1.
/// </summary>
public sealed partial class BadInputTableTests(ITestOutputHelper output) : IDisposable
{
    private const string WriteVariable = "CHARLSTM_WRITE_DOCS";
    private const string ClassName = "CharLstm.Tests.Cli.BadInputTableTests";
    private const string NoRun = "no run folder; no file changed";
    private const string NothingGenerated = "nothing generated; no file changed";
    private const string NoFileChanged = "no file changed";
    private const string RunKept = "`m/` unchanged, its checkpoint still at step 4";

    private static readonly string[] Tiny = ["--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--sample-length", "0", "--plain"];

    private readonly CliRunner _cli = new();
    private readonly List<Section> _sections = [];

    public void Dispose() => _cli.Dispose();

    private sealed record Row(string Input, string Message, int Exit, string Kept);

    private sealed record Section(string Title, string Lead, List<Row> Rows);

    [Fact]
    public void Every_hostile_input_is_refused_as_the_page_says()
    {
        // The rows use /dev/zero, symbolic links and POSIX signals.
        if (OperatingSystem.IsWindows()) Assert.Skip("the table is written on Linux and macOS");
        Prepare();

        Begin("train", "Corpora that cannot be read as text, options out of range, and output folders that are not the tool's to write.");
        Refused("train nope.txt", 1, NoRun);
        Refused("train empty.txt", 1, NoRun, "an empty file");
        Refused("train random.bin", 1, NoRun, "4,096 random bytes");
        Refused("train /dev/zero", 1, NoRun, "an endless device");
        Refused("train /dev/urandom", 1, NoRun, "endless random bytes", normalise: s => Offset().Replace(s, "offset {offset}"));
        Refused("train latin1.txt", 1, NoRun, "Latin-1 text: `café` with the byte E9");
        Refused("train short.txt --batch 4 --seq-len 10 --val-fraction 0", 1, NoRun, "18 characters");
        Refused("train short600.txt --batch 4 --seq-len 140 --val-fraction 0.1", 1, NoRun, "600 characters");
        Refused("train emptydir", 1, NoRun, "an empty folder");
        Refused("train binaries", 1, NoRun, "a folder of two binary files");
        Refused("train ftp://example.com/a.txt", 1, NoRun);
        Refused("train corpus.txt --layers 9", 2, NoRun);
        Refused("train corpus.txt --hidden 0", 2, NoRun);
        Refused("train corpus.txt --lr -1", 2, NoRun);
        Refused("train corpus.txt --batch 0", 2, NoRun);
        Refused("train corpus.txt --threads 0", 2, NoRun);
        Refused("train corpus.txt --dropout 1.5", 2, NoRun);
        Refused("train corpus.txt --time 0s", 2, NoRun);
        Refused("train corpus.txt --time 99999999999h", 2, NoRun);
        Refused("train corpus.txt --layers 8 --hidden 16384", 2, NoRun, "needs about 695 GB",
            normalise: s => Memory().Replace(s, "the {memory} GB this process may use"));
        Refused("train corpus.txt --frobnicate", 2, NoRun);
        Refused("train corpus.txt --seed abc", 2, NoRun);
        Refused("train corpus.txt --layers x", 2, NoRun);
        Refused("train corpus.txt --batch 99999999999", 2, NoRun);
        Refused("train corpus.txt --preset gpt", 2, NoRun);
        Refused("train corpus.txt --out mine", 1, "`mine/config.json` and `mine/metrics.csv` unchanged; nothing added", "`mine/` holds the user's own files");
        Refused("train corpus.txt --out mine --overwrite", 1, "`mine/config.json` and `mine/metrics.csv` unchanged; nothing added");
        Refused("train corpus.txt --out corpus.txt", 1, "`corpus.txt` unchanged; no run folder");
        Refused("train corpus.txt --out corpus.txt/run", 1, "`corpus.txt` unchanged; no run folder");
        Refused("train corpus.txt --out m", 1, RunKept, "`m/` holds a run", CheckpointAtStep4);
        Refused("train corpus.txt --resume emptydir", 1, NoFileChanged);
        Refused("train corpus.txt --resume m --hidden 32 --max-steps 8", 2, RunKept, check: CheckpointAtStep4);
        Refused("train corpus.txt --resume m", 2, RunKept, "the run is at its --max-steps", CheckpointAtStep4);
        Refused("train short600.txt --resume m --max-steps 8", 1, RunKept, "another corpus", CheckpointAtStep4);
        Refused("train corpus.txt --resume m --out other --max-steps 8", 2, RunKept, check: CheckpointAtStep4);
        Refused("train corpus.txt --resume broken --max-steps 8", 1, "`broken/` unchanged", "its checkpoint cut in half",
            normalise: s => DataSection().Replace(s, "holds {n} bytes (file bytes {start} to {end})"));

        Begin("generate", "Files that are not models, prompts the model cannot read, and sampling options out of range.");
        Refused("generate -m nope.safetensors", 1, NothingGenerated);
        Refused("generate -m corpus.txt", 1, NothingGenerated, "a text file");
        Refused("generate -m model.pt", 1, NothingGenerated, "a zip archive, as torch.save writes");
        Refused("generate -m random.bin", 1, NothingGenerated, "4,096 random bytes");
        Refused("generate -m empty.safetensors", 1, NothingGenerated, "an empty file");
        Refused("generate -m half.safetensors", 1, NothingGenerated, "the first half of `m/last.safetensors`",
            normalise: s => DataSection().Replace(s, "holds {n} bytes (file bytes {start} to {end})"));
        Refused("generate -m m/last.checkpoint.safetensors", 1, NothingGenerated, "a training checkpoint");
        Refused("generate -m emptydir", 1, NothingGenerated, "an empty folder");
        Refused("generate -m /dev/zero", 1, NothingGenerated, "an endless device");
        Refused("generate -m m --prompt Zebra", 2, NothingGenerated, "`Z` is not in the model's vocabulary");
        Refused("generate -m m --prompt-file emptydir", 1, NothingGenerated, "a folder");
        Refused("generate -m m --prompt-file latin1.txt", 1, NothingGenerated, "not UTF-8");
        Refused("generate -m m --prompt-file /dev/zero", 1, NothingGenerated, "an endless device");
        Refused("generate -m m --temperature -1", 2, NothingGenerated);
        Refused("generate -m m --top-p 2", 2, NothingGenerated);
        Refused("generate -m m --length -1", 2, NothingGenerated);
        Refused("generate -m m --length 99999999999", 2, NothingGenerated);
        Refused("generate -m m --samples 0", 2, NothingGenerated);
        Refused("generate -m m --interactive --prompt the", 2, NothingGenerated);
        Refused("generate --prompt the", 2, NothingGenerated, "no model");

        Begin("eval", "Texts to score that cannot be read, or that hold characters the model never saw.");
        Refused("eval -m m nope.txt", 1, NoFileChanged);
        Refused("eval -m m unknown.txt", 1, NoFileChanged, "`The Zebra sees X.`: three characters not in the vocabulary");
        Refused("eval -m m empty.txt", 1, NoFileChanged, "an empty file");
        Refused("eval -m m random.bin", 1, NoFileChanged, "4,096 random bytes");
        Refused("eval -m m", 2, NoFileChanged, "no text to score");
        Refused("eval -m m corpus.txt --unknown drop", 2, NoFileChanged);

        Begin("export", "Models that cannot be read, formats the tool does not write, and output files that are not the tool's to write.");
        Refused("export nope.safetensors --format onnx -o m.onnx", 1, NoFileChanged);
        Refused("export corpus.txt --format onnx -o m.onnx", 1, NoFileChanged, "a text file");
        Refused("export m/last.checkpoint.safetensors --format onnx -o m.onnx", 1, NoFileChanged, "a training checkpoint");
        Refused("export emptydir --format onnx -o m.onnx", 1, NoFileChanged, "an empty folder");
        Refused("export m --format tflite -o m.onnx", 2, NoFileChanged);
        Refused("export m -o m.onnx", 2, NoFileChanged, "no format");
        Refused("export m --format onnx", 2, NoFileChanged, "no output file");
        Refused("export m --format onnx --graph loop -o m.onnx", 2, NoFileChanged);
        Refused("export m --format onnx -o taken.onnx", 1, "`taken.onnx` unchanged; no file changed", "`taken.onnx` exists");
        Refused("export m --format onnx -o nowhere/m.onnx", 1, NoFileChanged, "no folder `nowhere`");
        Refused("export m --format onnx -o emptydir", 1, NoFileChanged, "a folder");
        Refused("export m/last.safetensors --format onnx -o m/last.safetensors --overwrite", 2, "`m/last.safetensors` unchanged; no file changed",
            "the model itself");

        Begin("import", "State dicts and vocab.json files that do not make a model, and outputs that are not the tool's to write. "
            + "`state.safetensors` and `vocab.json` are `m/last.safetensors`'s tensors without metadata and its vocabulary.");
        Refused("import nope.safetensors --vocab vocab.json -o out.safetensors", 1, NoFileChanged);
        Refused("import corpus.txt --vocab vocab.json -o out.safetensors", 1, NoFileChanged, "a text file");
        Refused("import model.pt --vocab vocab.json -o out.safetensors", 1, NoFileChanged, "a zip archive, as torch.save writes");
        Refused("import state-f16.safetensors --vocab vocab.json -o out.safetensors", 1, NoFileChanged, "a float16 tensor");
        Refused("import state-missing.safetensors --vocab vocab.json -o out.safetensors", 1, NoFileChanged, "without `lstm.bias_hh_l0`");
        Refused("import state-extra.safetensors --vocab vocab.json -o out.safetensors", 1, NoFileChanged, "with an extra `lstm.weight_ih_l0_reverse`");
        Refused("import state-module.safetensors --vocab vocab.json -o out.safetensors", 1, NoFileChanged, "names starting `module.`, as DDP saves them");
        Refused("import state.safetensors --vocab nope.json -o out.safetensors", 1, NoFileChanged);
        Refused("import state.safetensors --vocab corpus.txt -o out.safetensors", 1, NoFileChanged, "a text file");
        Refused("import state.safetensors --vocab vocab-short.json -o out.safetensors", 1, NoFileChanged, "one character fewer than the tensors");
        Refused("import state.safetensors --vocab vocab-dup.json -o out.safetensors", 1, NoFileChanged, "`a` twice");
        Refused("import state.safetensors --vocab vocab.json -o m/last.safetensors", 1, "`m/last.safetensors` unchanged");
        Refused("import state.safetensors --vocab vocab.json -o emptydir", 1, NoFileChanged, "a folder");
        Refused("import state.safetensors --vocab vocab.json -o state.safetensors --overwrite", 2, "`state.safetensors` unchanged");
        Refused("import state.safetensors --vocab vocab.json -o out.safetensors --dropout 1.5", 2, NoFileChanged);
        Refused("import state.safetensors -o out.safetensors", 2, NoFileChanged, "no --vocab");

        Begin("inspect, bench and the command line", "Garbage where a model should be, and commands the tool does not have.");
        Refused("inspect random.bin", 1, NoFileChanged, "4,096 random bytes");
        Refused("inspect corpus.txt", 1, NoFileChanged, "a text file");
        Refused("inspect", 2, NoFileChanged);
        Refused("bench --config T9", 2, NoFileChanged);
        Refused("bench --threads 0", 2, NoFileChanged);
        Refused("", 2, NoFileChanged, "no verb");
        Refused("frobnicate", 2, NoFileChanged);

        Begin("signals", "A training run stopped from outside: it finishes the step, saves, and says how to continue. "
            + "The message column holds the line the run ends with on standard output.");
        Signal("INT", 130, "interrupted at step ", "Ctrl-C (SIGINT)");
        Signal("TERM", 143, "stopped by SIGTERM at step ", "`kill -TERM`");

        Begin("inputs that warn and go on", "Not refusals: the tool warns on standard error, leaves out what it cannot use, and trains (exit 0). "
            + "The message column holds the first `warning:` line.");
        Warned("books", "a folder whose `sub/up` links back to itself", "a.txt", "sub/b.txt");
        Warned("mixed", "a folder with `a.txt` and a binary `b.bin`", "a.txt");

        string page = Render();
        string path = Path.Combine(Repository.Root(), "docs", "bad-input.md");
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(path, page);
            output.WriteLine($"wrote {path}");
            return;
        }

        string committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
        if (committed != page) Assert.Fail(Difference(committed, page));
    }

    /// <summary>The scratch folder's inputs: a corpus, a tiny trained run, and the hostile files the rows name.</summary>
    private void Prepare()
    {
        _cli.WriteCorpus();
        var train = _cli.Run(["train", "corpus.txt", .. Tiny, "--max-steps", "4", "--out", "m"]);
        Assert.True(train.ExitCode == 0, train.All);

        File.WriteAllBytes(_cli.PathOf("empty.txt"), []);
        File.WriteAllBytes(_cli.PathOf("empty.safetensors"), []);
        var rng = new Rng(20);
        byte[] random = new byte[4096];
        for (int i = 0; i < random.Length; i++) random[i] = (byte)rng.NextInt(256);
        Assert.Contains((byte)0, random); // the rows say it is refused as binary
        File.WriteAllBytes(_cli.PathOf("random.bin"), random);
        File.WriteAllBytes(_cli.PathOf("latin1.txt"), Encoding.Latin1.GetBytes("the café is open.\n"));
        File.WriteAllText(_cli.PathOf("short.txt"), "to be or not to be");
        File.WriteAllText(_cli.PathOf("short600.txt"), string.Concat(Enumerable.Repeat("to be or not to be. ", 30)));
        File.WriteAllText(_cli.PathOf("unknown.txt"), "The Zebra sees X.");
        File.WriteAllBytes(_cli.PathOf("model.pt"), [0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
        Directory.CreateDirectory(_cli.PathOf("emptydir"));
        Directory.CreateDirectory(_cli.PathOf("binaries"));
        File.WriteAllBytes(_cli.PathOf("binaries/a.dat"), [0x61, 0, 0x62]);
        File.WriteAllBytes(_cli.PathOf("binaries/b.bin"), [0, 0]);
        Directory.CreateDirectory(_cli.PathOf("mine"));
        File.WriteAllText(_cli.PathOf("mine/config.json"), "{\"mine\": true}");
        File.WriteAllText(_cli.PathOf("mine/metrics.csv"), "my numbers");
        File.WriteAllText(_cli.PathOf("taken.onnx"), "the user's own file");

        byte[] model = File.ReadAllBytes(_cli.PathOf("m/last.safetensors"));
        File.WriteAllBytes(_cli.PathOf("half.safetensors"), model[..(model.Length / 2)]);
        Directory.CreateDirectory(_cli.PathOf("broken"));
        foreach (string file in Directory.EnumerateFiles(_cli.PathOf("m")))
            File.Copy(file, Path.Combine(_cli.PathOf("broken"), Path.GetFileName(file)));
        byte[] checkpoint = File.ReadAllBytes(_cli.PathOf("broken/last.checkpoint.safetensors"));
        File.WriteAllBytes(_cli.PathOf("broken/last.checkpoint.safetensors"), checkpoint[..(checkpoint.Length / 2)]);

        // A plain state_dict (the model's tensors, no metadata) and its vocabulary, then damaged copies of each.
        var saved = SafeTensors.ReadFile(_cli.PathOf("m/last.safetensors"));
        string[] characters = System.Text.Json.JsonSerializer.Deserialize<string[]>(saved.Metadata["charlstm.vocabulary"])!;
        void WriteState(string name, IEnumerable<TensorEntry> tensors)
        {
            using var file = File.Create(_cli.PathOf(name));
            SafeTensors.Write(file, [.. tensors], new Dictionary<string, string>());
        }
        WriteState("state.safetensors", saved.Tensors);
        WriteState("state-missing.safetensors", saved.Tensors.Where(t => t.Name != "lstm.bias_hh_l0"));
        WriteState("state-extra.safetensors", [.. saved.Tensors, saved.Get("lstm.weight_ih_l0") with { Name = "lstm.weight_ih_l0_reverse" }]);
        WriteState("state-module.safetensors", saved.Tensors.Select(t => t with { Name = "module." + t.Name }));
        File.WriteAllBytes(_cli.PathOf("state-f16.safetensors"),
            IO.SafeTensorsTestFiles.Build("""{"head.bias":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", new byte[4]));
        File.WriteAllText(_cli.PathOf("vocab.json"), System.Text.Json.JsonSerializer.Serialize(characters));
        File.WriteAllText(_cli.PathOf("vocab-short.json"), System.Text.Json.JsonSerializer.Serialize(characters[1..]));
        File.WriteAllText(_cli.PathOf("vocab-dup.json"), System.Text.Json.JsonSerializer.Serialize(characters[..^1].Append("a")));

        Directory.CreateDirectory(_cli.PathOf("books/sub"));
        _cli.WriteCorpus("books/a.txt");
        _cli.WriteCorpus("books/sub/b.txt", seed: 2);
        File.CreateSymbolicLink(_cli.PathOf("books/sub/up"), "..");
        Directory.CreateDirectory(_cli.PathOf("mixed"));
        _cli.WriteCorpus("mixed/a.txt");
        File.WriteAllBytes(_cli.PathOf("mixed/b.bin"), [0x78, 0, 0x79]);
    }

    private void Begin(string title, string lead) => _sections.Add(new Section(title, lead, []));

    /// <summary>
    /// Runs <c>charlstm <paramref name="command"/></c> (arguments split at spaces) and checks what every refusal
    /// must do: the expected exit code, an error line, no stack trace, nothing on standard output, a pointer to
    /// --help for exit 2, and no file in the scratch folder added, removed or changed.
    /// </summary>
    private void Refused(string command, int exit, string kept, string? given = null, Action? check = null, Func<string, string>? normalise = null)
    {
        var before = Snapshot();
        var r = _cli.Run(command.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string shown = ("charlstm " + command).TrimEnd();
        output.WriteLine($"$ {shown}\nexit {r.ExitCode}\n{r.All}");
        r.AssertNoStackTrace(shown);
        Assert.True(r.ExitCode == exit, $"{shown}: exit {r.ExitCode}, expected {exit}\n{r.All}");
        Assert.True(r.Stdout.Length == 0, $"{shown} printed on standard output:\n{r.Stdout}");
        string? line = r.Stderr.Split('\n').FirstOrDefault(l => l.Contains("error:", StringComparison.Ordinal));
        Assert.True(!string.IsNullOrWhiteSpace(line), $"{shown}: no error line\n{r.Stderr}");
        if (exit == 2) Assert.Contains("--help' for the options and examples.", r.Stderr);
        Unchanged(before, Snapshot(), shown);
        check?.Invoke();
        Add(Input(shown, given), line, normalise, exit, kept);
    }

    /// <summary>
    /// Starts a long tiny training run, sends <paramref name="signal"/> once the run has started, and checks the
    /// exit code, that the checkpoint is at the step the message names, and that the printed resume continues it.
    /// </summary>
    private void Signal(string signal, int exit, string said, string how)
    {
        string folder = "sig" + signal.ToLowerInvariant();
        string[] args = ["train", "corpus.txt", .. Tiny, "--eval-interval", "0", "--epochs", "1000", "--out", folder];
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = _cli.Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CharLstm.Cli.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["CHARLSTM_CACHE"] = _cli.PathOf("cache");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var training = new ManualResetEventSlim();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.Append(e.Data).Append('\n');
            // The first step's line comes from inside the training loop, so the signal handlers are in place.
            if (e.Data.StartsWith("step ", StringComparison.Ordinal)) training.Set();
        };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        bool started = training.Wait(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        if (started)
        {
            Thread.Sleep(300);
            using var kill = Process.Start("kill", ["-" + signal, p.Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }

        if (!p.WaitForExit(60_000)) p.Kill(true);
        p.WaitForExit(); // the last lines of output
        var r = new CliRunner.Result(p.ExitCode, stdout.ToString(), stderr.ToString());
        Assert.True(started, $"the training run never reached its first step\n{r.All}");
        string shown = "charlstm " + string.Join(' ', args);
        output.WriteLine($"$ {shown}, then SIG{signal}\nexit {r.ExitCode}\n{r.All}");
        r.AssertNoStackTrace(shown);
        Assert.True(r.ExitCode == exit, $"SIG{signal}: exit {r.ExitCode}, expected {exit}\n{r.All}");
        string line = r.Stdout.Split('\n').Single(l => l.StartsWith(said, StringComparison.Ordinal));
        var at = StepNamed().Match(line);
        Assert.True(at.Success, line);
        int step = int.Parse(at.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.Contains($"saved {folder}/last.checkpoint.safetensors. Continue with: charlstm train --resume {folder} corpus.txt", line);
        Assert.Equal(step, CheckpointFile.Load(_cli.PathOf(folder + "/last.checkpoint.safetensors")).Step);

        string more = (step + 2).ToString(CultureInfo.InvariantCulture);
        var resumed = _cli.Run("train", "--resume", folder, "corpus.txt", "--max-steps", more, "--plain");
        Assert.True(resumed.ExitCode == 0, resumed.All);
        Assert.Equal(step + 2, CheckpointFile.Load(_cli.PathOf(folder + "/last.checkpoint.safetensors")).Step);

        Add($"`{shown}`, then {how}", line, s => StepNamed().Replace(s, "at step {step};"), exit,
            $"`{folder}/last.checkpoint.safetensors` at the step the message names; the resume it prints continues from there");
    }

    /// <summary>Trains a step on a folder that holds something to skip, and checks the warning and which files were read.</summary>
    private void Warned(string folder, string given, params string[] read)
    {
        string[] args = ["train", folder, .. Tiny, "--max-steps", "1", "--out", folder + "-run"];
        var r = _cli.Run(args);
        string shown = "charlstm " + string.Join(' ', args);
        output.WriteLine($"$ {shown}\nexit {r.ExitCode}\n{r.All}");
        r.AssertNoStackTrace(shown);
        Assert.True(r.ExitCode == 0, $"{shown}: exit {r.ExitCode}\n{r.All}");
        string? line = r.Stderr.Split('\n').FirstOrDefault(l => l.StartsWith("warning:", StringComparison.Ordinal));
        Assert.True(!string.IsNullOrWhiteSpace(line), $"{shown}: no warning\n{r.Stderr}");
        long characters = read.Sum(f => (long)File.ReadAllText(_cli.PathOf(folder + "/" + f)).Length) + read.Length - 1; // LF between files
        string counted = characters.ToString("N0", CultureInfo.InvariantCulture);
        Assert.Contains($"corpus: {folder}, {counted} characters", r.Stdout);
        Assert.True(File.Exists(_cli.PathOf(folder + "-run/last.safetensors")), $"{shown}: no model written");
        string files = read.Length == 1 ? $"`{read[0]}` alone" : string.Join(" and ", read.Select(f => $"`{f}`")) + ", each once";
        Add(Input(shown, given), line, null, 0, $"trained on {files} ({counted} characters); model saved");
    }

    private void Add(string input, string line, Func<string, string>? normalise, int exit, string kept)
    {
        string message = line.Trim().Replace(_cli.Folder, ".", StringComparison.Ordinal);
        if (normalise is not null)
        {
            string normalised = normalise(message);
            Assert.True(normalised != message, $"the placeholder matched nothing in: {message}");
            message = normalised;
        }

        _sections[^1].Rows.Add(new Row(input, message, exit, kept));
    }

    private static string Input(string shown, string? given) => given is null ? $"`{shown}`" : $"`{shown}` ({given})";

    private void CheckpointAtStep4() => Assert.Equal(4, CheckpointFile.Load(_cli.PathOf("m/last.checkpoint.safetensors")).Step);

    /// <summary>Every entry under the scratch folder: a file's sha256, "folder", or a link's target (links are not followed).</summary>
    private SortedDictionary<string, string> Snapshot()
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(_cli.Folder)]);
        while (pending.TryPop(out var folder))
        {
            foreach (var entry in folder.EnumerateFileSystemInfos())
            {
                string name = Path.GetRelativePath(_cli.Folder, entry.FullName);
                if (entry.LinkTarget is not null) entries[name] = "link to " + entry.LinkTarget;
                else if (entry is DirectoryInfo sub) { entries[name] = "folder"; pending.Push(sub); }
                else entries[name] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(entry.FullName)));
            }
        }

        return entries;
    }

    private static void Unchanged(SortedDictionary<string, string> before, SortedDictionary<string, string> after, string shown)
    {
        var changes = before.Keys.Union(after.Keys)
            .Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Select(k => !before.ContainsKey(k) ? "added " + k : !after.ContainsKey(k) ? "removed " + k : "changed " + k)
            .ToList();
        Assert.True(changes.Count == 0, $"{shown} touched the folder: {string.Join(", ", changes)}");
    }

    private string Render()
    {
        var page = new StringBuilder();
        page.Append("""
            # Bad input: what charlstm says, and what it keeps

            <!-- Written by tests/CharLstm.Tests/Cli/BadInputTableTests.cs: change the test or the tool, then regenerate. -->

            Each row is a hostile input that a test ran through the real `charlstm`, in a scratch folder holding a
            small corpus (`corpus.txt`) and a tiny trained run (`m/`, 4 steps). The message is the first `error:`
            line on standard error, with the scratch folder shown as `.`; `{…}` stands for a figure that differs
            between machines or runs. The last column is what the test found on disk afterwards: it hashes (sha256)
            every file in the scratch folder before and after each refused command, so "no file changed" means
            nothing was added, removed or altered. For every refusal the test also checks that no stack trace was
            printed, that nothing went to standard output, and, for exit code 2, that a closing line points to
            `--help`.

            | exit code | meaning |
            |---|---|
            | 0 | done |
            | 1 | a file or folder named on the command line cannot be used: missing, empty, binary, not UTF-8, not a model, or not this run's |
            | 2 | the command line is wrong: an unknown option, a value out of range or of the wrong type, options that conflict |
            | 130 | stopped by Ctrl-C (SIGINT) after finishing the step and saving |
            | 143 | stopped by SIGTERM after finishing the step and saving |

            The test fails when this page differs from what `charlstm` prints. To regenerate it after changing a
            message, run the whole suite with `CHARLSTM_WRITE_DOCS=1 dotnet test -c Release`, or only this table:

            ```sh
            dotnet build -c Release
            CHARLSTM_WRITE_DOCS=1 tests/CharLstm.Tests/bin/Release/net10.0/CharLstm.Tests -class CharLstm.Tests.Cli.BadInputTableTests
            ```

            """);
        foreach (var section in _sections)
        {
            page.Append(CultureInfo.InvariantCulture, $"\n## {section.Title}\n\n{section.Lead}\n\n");
            page.Append("| input | message | exit | kept |\n|---|---|---|---|\n");
            foreach (var row in section.Rows)
                page.Append(CultureInfo.InvariantCulture, $"| {Cell(row.Input)} | {Cell(row.Message)} | {row.Exit} | {Cell(row.Kept)} |\n");
        }

        return page.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    private static string Difference(string committed, string page)
    {
        string[] was = committed.Length == 0 ? ["(no page)"] : committed.Split('\n'), now = page.Split('\n');
        int line = 0;
        while (line < was.Length && line < now.Length && was[line] == now[line]) line++;
        string actual = Path.Combine(AppContext.BaseDirectory, "bad-input.actual.md");
        File.WriteAllText(actual, page);
        return $"""
            docs/bad-input.md differs from what charlstm prints now, first at line {line + 1}:
              page:    {(line < was.Length ? was[line] : "(end of file)")}
              printed: {(line < now.Length ? now[line] : "(end of file)")}
            The page as printed now is in {actual} (diff it with docs/bad-input.md).
            If the change is meant, regenerate the page: {WriteVariable}=1 dotnet test -c Release,
            or {WriteVariable}=1 tests/CharLstm.Tests/bin/Release/net10.0/CharLstm.Tests -class {ClassName}
            """;
    }

    [GeneratedRegex(@"at step ([\d,]+);")]
    private static partial Regex StepNamed();

    [GeneratedRegex(@"offset \d+")]
    private static partial Regex Offset();

    [GeneratedRegex(@"the [\d.,]+ GB this process may use")]
    private static partial Regex Memory();

    [GeneratedRegex(@"holds [\d,]+ bytes \(file bytes [\d,]+ to [\d,]+\)")]
    private static partial Regex DataSection();
}
