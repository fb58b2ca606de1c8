using System.Text;
using CharLstm.Data;
using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Cli.Commands.Generate;

/// <summary><c>charlstm generate</c>: sample text from a trained model, streamed as it is made.</summary>
internal static class GenerateCommand
{
    /// <summary>The most bytes a prompt may have (a file or standard input): far more than any prompt needs.</summary>
    public const int MaxPromptBytes = 64 << 20;

    public static Command Create()
    {
        var def = new GenerateDefinition();
        return def.Build(r => Guarded.Run("generate", () => Run(def, r)));
    }

    private static int Run(GenerateDefinition def, ParseResult r)
    {
        int n = r.GetValue(def.Length), count = r.GetValue(def.Samples);
        if (n < 0) throw new UsageException($"--length must be 0 or more, got {n}.");
        if (count < 1) throw new UsageException($"--samples must be at least 1, got {count}.");
        int threadCount = r.GetValue(def.Threads);
        if (!ComputeThreads.IsValid(threadCount)) throw new UsageException(ComputeThreads.RangeMessage("--threads", threadCount));
        SamplingOptions sampling;
        try { sampling = new SamplingOptions(r.GetValue(def.Temperature), r.GetValue(def.TopK), r.GetValue(def.TopP)); }
        catch (ArgumentException e) { throw new UsageException("--" + e.Message); }
        string? promptText = r.GetValue(def.Prompt), promptFile = r.GetValue(def.PromptFile);
        bool interactive = r.GetValue(def.Interactive), quiet = r.GetValue(def.Quiet);
        if (promptText is not null && promptFile is not null) throw new UsageException("give either --prompt or --prompt-file, not both.");
        if (interactive && (promptText is not null || promptFile is not null))
            throw new UsageException("--interactive reads its prompts from standard input; leave out --prompt and --prompt-file.");
        if (interactive && r.GetResult(def.Samples) is { Implicit: false })
            throw new UsageException("--interactive gives one continuation per line; leave out --samples.");
        string[] stops = r.GetValue(def.Stop) ?? [];
        if (stops.Any(s => s.Length == 0)) throw new UsageException("--stop needs at least one character.");
        if (r.GetValue(def.StopAtNewline)) stops = [.. stops, "\n"];

        var lm = ModelLocator.Load(r.GetValue(def.Model)!);
        var textOptions = def.Text.ReadOver(r, lm.TextOptions);
        var mode = r.GetValue(def.Unknown) ?? UnknownMode.Error;
        string prompt = promptFile is null ? Normalize(promptText ?? "", textOptions) : ReadPromptFile(promptFile, textOptions);
        // A prompt typed on the command line is a usage error when the model cannot read it; one read from a file is bad input.
        bool promptTyped = promptFile is null;

        ulong baseSeed = r.GetValue(def.Seed) ?? (ulong)Random.Shared.NextInt64();
        if (!quiet && r.GetValue(def.Seed) is null) Console.Error.WriteLine($"seed: {baseSeed} (pass --seed {baseSeed} to get this text again)");
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };

        GenerationOptions Options(string p, ulong seed) => new()
        {
            Prompt = p, Length = n, Sampling = sampling, Seed = seed, Unknown = mode, Threads = threadCount, Stop = stops,
        };

        if (interactive) return Interactive(lm, stdout, textOptions, baseSeed, quiet, Options);

        var options = Options(prompt, baseSeed);
        CheckPrompt(lm, options, promptTyped);
        for (int i = 0; i < count; i++)
        {
            ulong seed = Rng.SeedFor(baseSeed, i);
            if (count > 1 && !quiet)
            {
                stdout.Flush();
                Console.Error.WriteLine($"--- sample {i + 1} of {count} (seed {seed}) ---");
            }
            Write(stdout, prompt, lm.Generate(options with { Seed = seed }));
        }
        return ExitCodes.Ok;
    }

    // One continuation per line of standard input. A line the model cannot read is reported and skipped, so one
    // typo does not end the session; the prompt marker and greeting go to standard error, and only to a terminal.
    private static int Interactive(CharLanguageModel lm, StreamWriter stdout, CorpusOptions textOptions, ulong baseSeed, bool quiet,
        Func<string, ulong, GenerationOptions> options)
    {
        bool terminal = !Console.IsInputRedirected;
        if (terminal && !quiet) Console.Error.WriteLine("Type a prompt and press Enter; end input (Ctrl-D) to stop.");
        int round = 0, failed = 0;
        while (true)
        {
            if (terminal) Console.Error.Write("> ");
            if (Console.In.ReadLine() is not { } line) break;
            var o = options(Normalize(line, textOptions), Rng.SeedFor(baseSeed, round++));
            try { CheckPrompt(lm, o, promptTyped: false); }
            catch (InputException e)
            {
                failed++;
                Console.Error.WriteLine($"charlstm generate: line {round}: {e.Message}");
                continue;
            }
            Write(stdout, o.Prompt, lm.Generate(o));
        }
        if (terminal) Console.Error.WriteLine();
        return failed == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
    }

    // Fails before anything is printed when the prompt has characters the model never saw (under --unknown error).
    private static void CheckPrompt(CharLanguageModel lm, GenerationOptions options, bool promptTyped)
    {
        try { _ = lm.Generate(options with { Length = 0 }); } // encodes the prompt at once; nothing is run until enumerated
        catch (CorpusException e)
        {
            string message = CommandLineText.SkipUnknownAdvice(e.Message);
            throw promptTyped ? new UsageException(message) : new InputException(message);
        }
    }

    private static void Write(StreamWriter stdout, string prompt, IEnumerable<string> pieces)
    {
        stdout.Write(prompt);
        stdout.Flush();
        foreach (string piece in pieces)
        {
            stdout.Write(piece);
            stdout.Flush(); // stream: show each character as it is made
        }
        stdout.WriteLine();
        stdout.Flush();
    }

    private static string Normalize(string text, CorpusOptions options)
        => TextScalars.ToText(TextDecoding.Normalize(TextScalars.FromString(text), options));

    // A prompt file, or standard input with "-": bounded, so a device or an endless pipe is refused rather than read forever.
    private static string ReadPromptFile(string path, CorpusOptions options)
    {
        if (path != "-" && Directory.Exists(path)) throw new InputException($"--prompt-file: '{path}' is a folder. Pass a text file, or - for standard input.");
        if (path != "-" && !File.Exists(path)) throw new InputException($"--prompt-file: no file at '{path}'. Check the path, or pass - for standard input.");
        string source = path == "-" ? "standard input" : path;
        byte[] bytes;
        try
        {
            using var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            bytes = ReadBounded(stream, source);
        }
        catch (UnauthorizedAccessException) { throw new InputException($"--prompt-file: cannot read '{path}': permission denied. Check its permissions."); }
        if (bytes.AsSpan().IndexOf((byte)0) is >= 0 and int at)
            throw new InputException($"--prompt-file: {source} has a NUL byte at offset {at}, so it is not text. Pass a UTF-8 text file.");
        return TextScalars.ToText(TextDecoding.Decode(bytes, options, source));
    }

    private static byte[] ReadBounded(Stream stream, string source)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > MaxPromptBytes)
                throw new InputException($"--prompt-file: {source} has more than {MaxPromptBytes:N0} bytes. Pass a shorter prompt "
                    + "(the model reads it one character at a time; only the state it leaves matters).");
            buffer.Write(chunk, 0, read);
            if (chunk.AsSpan(0, read).IndexOf((byte)0) >= 0) break;
        }
        return buffer.ToArray();
    }
}
