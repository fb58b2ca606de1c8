using CharLstm.Data;

namespace CharLstm.Cli.Commands.Generate;

/// <summary>The options of <c>charlstm generate</c>, with their defaults.</summary>
internal sealed class GenerateDefinition
{
    public Option<string> Model { get; } = new("--model", "-m")
    {
        Description = "Model file, or a training output folder (uses best.safetensors).",
        Required = true,
    };
    public Option<string?> Prompt { get; } = new("--prompt", "-p") { Description = "Text to continue (printed first). Empty: start from a newline." };
    public Option<string?> PromptFile { get; } = new("--prompt-file") { Description = "Read the prompt from this UTF-8 file, or from standard input with -." };
    public Option<int> Length { get; } = new("--length", "-n") { Description = "Characters to generate, at most.", DefaultValueFactory = _ => 500 };
    public Option<float> Temperature { get; } = new("--temperature", "-T")
    {
        Description = "Sampling temperature; 0 = always the most likely character.",
        DefaultValueFactory = _ => 1f,
    };
    public Option<int> TopK { get; } = new("--top-k")
    {
        Description = "Sample only among the K most likely characters (0 = all).",
        DefaultValueFactory = _ => 0,
    };
    public Option<float> TopP { get; } = new("--top-p")
    {
        Description = "Sample only within the smallest set of characters whose probability reaches P (1 = all).",
        DefaultValueFactory = _ => 1f,
    };
    public Option<ulong?> Seed { get; } = new("--seed", "-s") { Description = "Random seed; the same seed gives the same text (default: drawn, and printed)." };
    public Option<int> Samples { get; } = new("--samples") { Description = "How many independent samples to print.", DefaultValueFactory = _ => 1 };
    public Option<string[]> Stop { get; } = new("--stop")
    {
        Description = "End a sample at this text (not printed); repeat it for several.",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<bool> StopAtNewline { get; } = new("--stop-at-newline") { Description = "End a sample at the end of its first line." };
    public Option<UnknownMode?> Unknown { get; } = new("--unknown")
    {
        Description = "Prompt characters the model never saw: error (list them; the default) or skip (drop them).",
    };
    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "Compute threads per step (1 is fastest for small models).",
        DefaultValueFactory = _ => 1,
    };
    public Option<bool> Interactive { get; } = new("--interactive", "-i")
    {
        Description = "Read prompts line by line from standard input until it ends; continue each one.",
    };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only the text: no seed or sample headers on standard error." };
    public TextOptions Text { get; } = new();

    public Command Build(Func<ParseResult, int> run)
    {
        var command = new Command("generate", """
            Generate text from a trained model, printing characters as they are made. The text goes to
            standard output; the seed and the sample headers go to standard error.

            Examples:
              charlstm generate -m runs/tinyshakespeare --prompt "ROMEO:" --length 300 --temperature 0.8
              charlstm generate -m runs/tinyshakespeare/best.safetensors --seed 42 --samples 3 --top-k 10
              charlstm generate -m runs/tinyshakespeare --prompt "KING" --stop-at-newline --samples 5
              charlstm generate -m runs/tinyshakespeare --interactive
            """);
        foreach (var o in new Option[] { Model, Prompt, PromptFile, Length, Temperature, TopK, TopP, Seed, Samples, Stop, StopAtNewline, Unknown,
                     Threads, Interactive, Quiet })
            command.Options.Add(o);
        Text.AddTo(command);
        command.SetAction(run);
        return command;
    }
}
