namespace CharLstm.Data;

/// <summary>How corpus bytes become characters (Unicode scalar values).</summary>
public sealed record CorpusOptions
{
    /// <summary>The defaults: strict UTF-8, case and newlines kept as they are.</summary>
    public static CorpusOptions Default { get; } = new();

    /// <summary>What to do with invalid UTF-8. Default <see cref="InvalidUtf8Mode.Error"/>.</summary>
    public InvalidUtf8Mode InvalidUtf8 { get; init; } = InvalidUtf8Mode.Error;

    /// <summary>
    /// Lower-case every character (default false). Uses the invariant simple case mapping of each scalar
    /// value, so it agrees with Python's <c>str.lower</c> except for its multi-character special cases
    /// (U+0130 'İ' becomes 'i' alone, and a final capital sigma becomes 'σ', never 'ς').
    /// </summary>
    public bool Lowercase { get; init; }

    /// <summary>Turn CRLF and lone CR into LF (default false: CRLF stays two characters).</summary>
    public bool NormalizeNewlines { get; init; }
}
