namespace CharLstm.IO;

/// <summary>
/// A model file is damaged, malformed, unsupported or unreadable. <see cref="Error"/> says which, and the
/// message says what is wrong, where (file, byte offset, tensor name when known) and what to do about it.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What kind of problem the file has.</param>
    /// <param name="message">What is wrong, where, and what to do.</param>
    /// <param name="innerException">The exception that revealed the problem, if any.</param>
    public ModelFormatException(ModelFormatError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What kind of problem the file has.</summary>
    public ModelFormatError Error { get; }
}
