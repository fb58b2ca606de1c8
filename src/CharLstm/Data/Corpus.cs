namespace CharLstm.Data;

/// <summary>A loaded corpus: its text as Unicode scalar values, and where it came from.</summary>
public sealed class Corpus
{
    /// <summary>Creates a corpus from already decoded text.</summary>
    /// <param name="name">A short name: the file or folder name.</param>
    /// <param name="source">Where it came from, for logs and model metadata: a full path, or a URL and its cached copy.</param>
    /// <param name="sha256">SHA-256 of the raw bytes read, as 64 lowercase hex digits.</param>
    /// <param name="scalars">The text, one Unicode scalar value per character; the corpus keeps this array.</param>
    /// <exception cref="ArgumentException"><paramref name="sha256"/> is not 64 lowercase hex digits.</exception>
    public Corpus(string name, string source, string sha256, int[] scalars)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sha256);
        ArgumentNullException.ThrowIfNull(scalars);
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException($"Expected 64 lowercase hex digits, got '{sha256}'.", nameof(sha256));
        }

        (Name, Source, Sha256, Scalars) = (name, source, sha256, scalars);
    }

    /// <summary>A short name: the file or folder name (for a URL, the cached file's name).</summary>
    public string Name { get; }

    /// <summary>Where the text came from: a full path, a folder and its file count, or a URL and its cached copy.</summary>
    public string Source { get; }

    /// <summary>
    /// SHA-256 of the raw bytes, 64 lowercase hex digits. For a folder: of the text files' bytes in load order
    /// with one LF byte between files (skipped binary files not included).
    /// </summary>
    public string Sha256 { get; }

    /// <summary>The text, one Unicode scalar value per character, after the <see cref="CorpusOptions"/> were applied.</summary>
    public int[] Scalars { get; }

    /// <summary>The number of characters.</summary>
    public int Length => Scalars.Length;

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Length:N0} characters, sha256 {Sha256[..12]}...)";
}
