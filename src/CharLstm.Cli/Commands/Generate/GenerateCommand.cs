using System.Text;
using CharLstm.Data;
using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Cli.Commands.Generate;

/// <summary><c>charlstm generate</c>: sample text from a trained model, streamed as it is made.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model file, or a training output folder (uses best.safetensors).", Required = true };
        var prompt = new Option<string?>("--prompt", "-p")
        {
            Description = "Text to continue (printed first). "
            + "Empty: start from a newline with a fresh state."
        };
        var promptFile = new Option<string?>("--prompt-file") { Description = "Read the prompt from this UTF-8 file." };
        var length = new Option<int>("--length", "-n") { Description = "Characters to generate.", DefaultValueFactory = _ => 500 };
        var temperature = new Option<float>("--temperature", "-T")
        {
            Description = "Sampling temperature; 0 = "
            + "always the most likely character.",
            DefaultValueFactory = _ => 1f
        };
        var topK = new Option<int>("--top-k") { Description = "Sample only among the K most likely characters (0 = all).", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p")
        {
            Description = "Sample only within the smallest set of "
            + "characters whose probability reaches P (1 = all).",
            DefaultValueFactory = _ => 1f
        };
        var seed = new Option<ulong?>("--seed", "-s") { Description = "Random seed; the same seed gives the same text (default: random)." };
        var samples = new Option<int>("--samples") { Description = "How many independent samples to print.", DefaultValueFactory = _ => 1 };
        var unknown = new Option<UnknownMode>("--unknown")
        {
            Description = "Prompt characters the model never "
            + "saw: error (list them) or skip (drop them).",
            DefaultValueFactory = _ => UnknownMode.Error
        };
        var threads = new Option<int>("--threads") { Description = "Compute threads per step (1 is fastest for small models).", DefaultValueFactory = _ => 1 };
        var interactive = new Option<bool>("--interactive", "-i")
        {
            Description = "Read prompts line by line from "
            + "standard input until it ends; continue each one."
        };

        var command = new Command("generate", """
            Generate text from a trained model, printing characters as they are made.

            Examples:
              charlstm generate -m runs/tinyshakespeare --prompt "ROMEO:" --length 300 --temperature 0.8
              charlstm generate -m runs/tinyshakespeare/best.safetensors --seed 42 --samples 3 --top-k 10
              charlstm generate -m runs/tinyshakespeare --interactive
            """);
        foreach (var o in new Option[] { model, prompt, promptFile, length, temperature, topK, topP, seed, samples, unknown, threads,
            interactive }) command.Options.Add(o);
        command.SetAction(r => Guarded.Run("generate", () =>
        {
            int n = r.GetValue(length), count = r.GetValue(samples);
            if (n < 0) throw new UsageException($"--length must be 0 or more, got {n}.");
            if (count < 1) throw new UsageException($"--samples must be at least 1, got {count}.");
            int threadCount = r.GetValue(threads);
            if (!ComputeThreads.IsValid(threadCount)) throw new UsageException(ComputeThreads.RangeMessage("--threads", threadCount));
            SamplingOptions sampling;
            try { sampling = new SamplingOptions(r.GetValue(temperature), r.GetValue(topK), r.GetValue(topP)); }
            catch (ArgumentException e) { throw new UsageException("--" + e.Message); }
            if (r.GetValue(prompt) is not null && r.GetValue(promptFile) is not null)
                throw new UsageException("give either --prompt or --prompt-file, not both.");
            string text = r.GetValue(prompt) ?? "";
            if (r.GetValue(promptFile) is { } file)
            {
                if (!File.Exists(file)) throw new InputException($"--prompt-file: no file at '{file}'.");
                text = Data.TextScalars.ToText(Data.TextDecoding.Decode(File.ReadAllBytes(file), CorpusOptions.Default, file));
            }
            var lm = ModelLocator.Load(r.GetValue(model)!);
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
            ulong? baseSeed = r.GetValue(seed);
            var mode = r.GetValue(unknown);

            void One(string p, ulong? s)
            {
                var pieces = lm.Generate(new GenerationOptions
                {
                    Prompt = p, Length = n, Sampling = sampling, Seed = s, Unknown = mode,
                    Threads = threadCount
                });
                stdout.Write(p);
                stdout.Flush();
                foreach (string piece in pieces)
                {
                    stdout.Write(piece);
                    stdout.Flush(); // stream: show each character as it is made
                }
                stdout.WriteLine();
                stdout.Flush();
            }

            try
            {
                if (r.GetValue(interactive))
                {
                    Console.Error.WriteLine("Type a prompt and press Enter; end input (Ctrl-D) to stop.");
                    int round = 0;
                    while (Console.In.ReadLine() is { } line)
                        One(line, baseSeed is { } b ? b + (ulong)round++ : null);
                    return ExitCodes.Ok;
                }
                for (int i = 0; i < count; i++)
                {
                    if (count > 1) { stdout.WriteLine($"--- sample {i + 1} ---"); }
                    One(text, baseSeed is { } b ? b + (ulong)i : null);
                }
            }
            catch (CorpusException e) { throw new InputException(e.Message + (mode == UnknownMode.Error ? " Pass --unknown skip to drop them." : "")); }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
