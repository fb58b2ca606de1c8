namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// Every limit the server holds a request to, each a named number with its default (each is a <c>serve</c> option).
/// Fields that are not limits of the machine (temperature, top_p) are checked against their meaning instead.
/// </summary>
internal sealed record ServerLimits
{
    /// <summary>Streams generated at once in one model's shared batch (the scheduler's slots).</summary>
    public int MaxStreams { get; init; } = 32;
    /// <summary>Streams admitted beyond the slots, waiting for one; past slots + queue a request gets 429.</summary>
    public int MaxQueued { get; init; } = 64;
    /// <summary>The most characters one choice may ask for (<c>max_tokens</c>; one token is one character here).</summary>
    public int MaxTokens { get; init; } = 4096;
    /// <summary><c>max_tokens</c> when a request leaves it out: OpenAI's own default.</summary>
    public const int DefaultMaxTokens = 16;
    /// <summary>The most prompt characters (after the model's text options): the model reads them one step each.</summary>
    public int MaxPromptCharacters { get; init; } = 16_384;
    /// <summary>The most choices (<c>n</c>) one request may ask for; each takes a slot.</summary>
    public int MaxChoices { get; init; } = 8;
    /// <summary>The most stop sequences, and the most characters in one (OpenAI allows 4).</summary>
    public int MaxStops { get; init; } = 4;
    /// <summary>The most characters in one stop sequence.</summary>
    public int MaxStopLength { get; init; } = 64;
    /// <summary>The largest request body in bytes (TGI's 2 MB); past it 413.</summary>
    public long MaxBodyBytes { get; init; } = 2 << 20;
    /// <summary>How long one request may generate; its choices then end with finish_reason "length".</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>The highest temperature (OpenAI's range is 0 to 2).</summary>
    public const double MaxTemperature = 2;
    /// <summary>The highest top_k: more than any vocabulary a character model has; 0 means off.</summary>
    public const int MaxTopK = 1 << 20;
    /// <summary>Seconds a client told 429 is asked to wait (Retry-After).</summary>
    public const int RetryAfterSeconds = 1;
}
