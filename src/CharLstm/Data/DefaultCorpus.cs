namespace CharLstm.Data;

/// <summary>
/// The default corpus, Tiny Shakespeare (karpathy/char-rnn): 1,115,394 ASCII characters, 65 distinct.
/// Downloaded once into the cache and checked against its SHA-256 every time it is used.
/// </summary>
public static class DefaultCorpus
{
    /// <summary>A human name for logs.</summary>
    public const string Name = "Tiny Shakespeare";

    /// <summary>Where it is published.</summary>
    public const string Url = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt";

    /// <summary>SHA-256 of the published file, lowercase hex.</summary>
    public const string Sha256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed";

    /// <summary>The file name in the cache folder.</summary>
    public const string FileName = "tinyshakespeare.txt";

    /// <summary>Where the cached copy lives (it may not exist yet).</summary>
    /// <param name="options">Supplies the cache folder.</param>
    /// <returns>The full path.</returns>
    public static string CachePath(CorpusDownloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Path.Combine(options.ResolveCacheDirectory(), FileName);
    }

    /// <summary>
    /// Makes sure the corpus is in the cache, downloading it from <see cref="CorpusDownloadOptions.DefaultCorpusUrl"/>
    /// if it is missing or its checksum is wrong; see <see cref="CorpusDownloader.EnsureCachedAsync"/>.
    /// </summary>
    /// <param name="options">Cache folder, HTTP client, timeout, progress.</param>
    /// <param name="warn">Told when a cached copy is replaced; may be null.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The full path of the verified cached file.</returns>
    /// <exception cref="CorpusException">The download failed or its checksum is wrong; nothing is left in the cache.</exception>
    public static Task<string> EnsureCachedAsync(
        CorpusDownloadOptions options, Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CorpusDownloader.EnsureCachedAsync(options.DefaultCorpusUrl, FileName, Sha256, options, warn, cancellationToken);
    }
}
