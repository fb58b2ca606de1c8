namespace CharLstm.Data;

/// <summary>What to do with bytes that are not valid UTF-8.</summary>
public enum InvalidUtf8Mode
{
    /// <summary>Stop with a <see cref="CorpusException"/> naming the file and byte offset (the default).</summary>
    Error,

    /// <summary>Replace each maximal invalid subsequence with U+FFFD REPLACEMENT CHARACTER.</summary>
    Replace,
}
