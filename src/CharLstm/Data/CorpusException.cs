namespace CharLstm.Data;

/// <summary>
/// A failure the user can fix: a missing or unreadable corpus, invalid text, a failed download,
/// a vocabulary that does not fit, a corpus too short for the chosen batch shape.
/// The message says what was wrong, where, and what to do; the command line prints it and exits with code 1.
/// </summary>
public sealed class CorpusException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    /// <param name="message">What was wrong, where, and what to do about it.</param>
    public CorpusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a complete, user-facing message and the failure that caused it.</summary>
    /// <param name="message">What was wrong, where, and what to do about it.</param>
    /// <param name="innerException">The underlying failure (I/O, network, ...).</param>
    public CorpusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
