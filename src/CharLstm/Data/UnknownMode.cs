namespace CharLstm.Data;

/// <summary>What to do with characters that are not in the vocabulary.</summary>
public enum UnknownMode
{
    /// <summary>Stop with a <see cref="CorpusException"/> listing every unknown character (the default).</summary>
    Error,

    /// <summary>Leave them out and report which they were.</summary>
    Skip,
}
