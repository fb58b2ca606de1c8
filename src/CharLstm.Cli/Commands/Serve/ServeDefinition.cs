using CharLstm.Cli.Commands.Train;
using CharLstm.Numerics;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>The options of <c>charlstm serve</c>, with their defaults (the limits' defaults live in <see cref="ServerLimits"/>).</summary>
internal sealed class ServeDefinition
{
    private static readonly ServerLimits Defaults = new();

    /// <summary>The variable an API key may come from, so it need not show in the process list.</summary>
    public const string ApiKeyVariable = "CHARLSTM_API_KEY";

    public Option<string[]> Model { get; } = new("--model", "-m")
    {
        Description = "Model file or training output folder, as NAME=PATH or PATH (named after its run folder); repeat it to serve several.",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string[]> Urls { get; } = new("--urls")
    {
        Description = "Where to listen (loopback by default; port 0 picks a free one).",
        DefaultValueFactory = _ => ["http://127.0.0.1:8080"],
    };
    public Option<int> Threads { get; } = new("--threads") { Description = "Compute threads per model's generation loop.", DefaultValueFactory = _ => 1 };
    public Option<int> MaxStreams { get; } = new("--max-streams")
    {
        Description = "Streams generated at once per model (its batch's slots).", DefaultValueFactory = _ => Defaults.MaxStreams,
    };
    public Option<int> MaxQueued { get; } = new("--max-queue")
    {
        Description = "Streams waiting for a slot, per model; beyond slots + queue a request gets 429.", DefaultValueFactory = _ => Defaults.MaxQueued,
    };
    public Option<int> MaxTokens { get; } = new("--max-tokens")
    {
        Description = "Largest max_tokens (characters per choice) a request may ask for.", DefaultValueFactory = _ => Defaults.MaxTokens,
    };
    public Option<int> MaxPrompt { get; } = new("--max-prompt")
    {
        Description = "Most characters in a prompt.", DefaultValueFactory = _ => Defaults.MaxPromptCharacters,
    };
    public Option<int> MaxChoices { get; } = new("--max-n")
    {
        Description = "Largest n (choices per request).", DefaultValueFactory = _ => Defaults.MaxChoices,
    };
    public Option<int> MaxStops { get; } = new("--max-stops")
    {
        Description = "Most stop sequences per request.", DefaultValueFactory = _ => Defaults.MaxStops,
    };
    public Option<int> MaxStopLength { get; } = new("--max-stop-length")
    {
        Description = "Most characters in one stop sequence.", DefaultValueFactory = _ => Defaults.MaxStopLength,
    };
    public Option<long> MaxBodyBytes { get; } = new("--max-body-bytes")
    {
        Description = "Largest request body in bytes (413 beyond).", DefaultValueFactory = _ => Defaults.MaxBodyBytes,
    };
    public Option<string> TimeLimit { get; } = new("--time-limit")
    {
        Description = "Longest a request may generate, e.g. 30s or 5m; its text then ends with finish_reason length.", DefaultValueFactory = _ => "5m",
    };
    public Option<string[]> AllowedHost { get; } = new("--allowed-host")
    {
        Description = "Another Host header to answer to besides localhost, 127.0.0.1, [::1] and the bound host (* for any); repeat it for several.",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string[]> CorsOrigin { get; } = new("--cors-origin")
    {
        Description = "An origin whose web pages may call the API (CORS is off without it); repeat it for several.",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = $"Require 'Authorization: Bearer KEY' on every request but /health (default: ${ApiKeyVariable}, else none).",
    };

    public Command Build(Func<ParseResult, int> run)
    {
        var command = new Command("serve", """
            Serve models over HTTP: OpenAI's completions API (POST /v1/completions, one token = one character), GET /v1/models,
            /health, /metrics (Prometheus), and a playground page at /. Concurrent requests share one batched generation
            loop per model. Listens on loopback unless told otherwise; Ctrl-C or SIGTERM ends the streams in flight cleanly.

            Examples:
              charlstm serve -m runs/tinyshakespeare
              charlstm serve -m shakespeare=runs/tinyshakespeare -m lyrics=lyrics.safetensors --urls http://127.0.0.1:9000
              charlstm serve -m runs/tinyshakespeare --max-streams 64 --time-limit 30s --api-key secret
            """);
        foreach (var o in new Option[] { Model, Urls, Threads, MaxStreams, MaxQueued, MaxTokens, MaxPrompt, MaxChoices, MaxStops, MaxStopLength,
                     MaxBodyBytes, TimeLimit, AllowedHost, CorsOrigin, ApiKey })
            command.Options.Add(o);
        command.SetAction(run);
        return command;
    }

    /// <summary>The settings the options describe; a value out of range is a usage error naming its option.</summary>
    public ServeSettings Read(ParseResult r)
    {
        int Positive(Option<int> option, int max)
        {
            int value = r.GetValue(option);
            return value >= 1 && value <= max ? value : throw new UsageException($"{option.Name} must be 1 to {max:N0}, got {value}.");
        }
        int threads = r.GetValue(Threads);
        if (!ComputeThreads.IsValid(threads)) throw new UsageException(ComputeThreads.RangeMessage("--threads", threads));
        int maxQueued = r.GetValue(MaxQueued);
        if (maxQueued is < 0 or > 1_000_000) throw new UsageException($"--max-queue must be 0 to 1,000,000, got {maxQueued}.");
        long bodyBytes = r.GetValue(MaxBodyBytes);
        if (bodyBytes is < 1024 or > 1L << 30) throw new UsageException($"--max-body-bytes must be 1,024 to {1L << 30:N0}, got {bodyBytes}.");
        var limits = new ServerLimits
        {
            MaxStreams = Positive(MaxStreams, 4096),
            MaxQueued = maxQueued,
            MaxTokens = Positive(MaxTokens, 1_000_000),
            MaxPromptCharacters = Positive(MaxPrompt, 10_000_000),
            MaxChoices = Positive(MaxChoices, 1024),
            MaxStops = Positive(MaxStops, 64),
            MaxStopLength = Positive(MaxStopLength, 4096),
            MaxBodyBytes = bodyBytes,
            TimeLimit = Durations.Parse(r.GetValue(TimeLimit)!, "--time-limit"),
        };
        var models = r.GetValue(Model)!.Select(ModelSpec.Parse).ToList();
        if (models.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new UsageException($"--model: two models are named '{twice.Key}'; name them apart with NAME=PATH.");
        string[] urls = r.GetValue(Urls) ?? [];
        foreach (string url in urls)
            if (!Uri.TryCreate(url.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal), UriKind.Absolute,
                    out var uri) || uri.Scheme != "http")
                throw new UsageException($"--urls: '{url}' is not an http:// address such as http://127.0.0.1:8080 (put TLS in a proxy in front).");
        string? key = r.GetValue(ApiKey) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        var settings = new ServeSettings(models, urls, threads, limits, r.GetValue(AllowedHost) ?? [], r.GetValue(CorsOrigin) ?? [],
            string.IsNullOrEmpty(key) ? null : key);
        return settings with { ConsoleLogging = true };
    }
}
