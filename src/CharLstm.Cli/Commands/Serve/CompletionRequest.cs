using CharLstm.Sampling;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>A checked <c>POST /v1/completions</c> body: every value is within its range.</summary>
/// <param name="Model">The model's name, or null for the first model served.</param>
/// <param name="Prompt">The prompt as sent (the model's text options are applied later).</param>
/// <param name="MaxTokens">Characters to generate per choice.</param>
/// <param name="Sampling">Temperature, top_k and top_p.</param>
/// <param name="Seed">The seed of choice 0 (choice i uses Rng.SeedFor(seed, i)); null: drawn.</param>
/// <param name="Stops">Stop sequences (possibly none).</param>
/// <param name="Choices">How many completions (n).</param>
/// <param name="Stream">Whether to answer with server-sent events.</param>
internal sealed record CompletionRequest(string? Model, string Prompt, int MaxTokens, SamplingOptions Sampling, ulong? Seed,
    IReadOnlyList<string> Stops, int Choices, bool Stream);
