namespace CharLstm.Data;

/// <summary>How corpora are downloaded and cached. Every member has a working default.</summary>
public sealed record CorpusDownloadOptions
{
    /// <summary>The defaults: the standard cache folder, a fresh <see cref="System.Net.Http.HttpClient"/>, 60 s inactivity timeout.</summary>
    public static CorpusDownloadOptions Default { get; } = new();

    /// <summary>The cache folder, or null for <see cref="CorpusCache.DefaultDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The client to download with, or null to create (and dispose) one per download. Inject one to use a proxy,
    /// a custom handler, or a test server. It is not disposed here.
    /// </summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>
    /// How long a download may wait for the server's response or for its next bytes before it is given up
    /// as offline. Default 60 s. It bounds silence, not the total time, so slow links still finish.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Told the bytes received so far and the total when the server announced one; null for no reports.</summary>
    public IProgress<(long Received, long? Total)>? Progress { get; init; }

    /// <summary>Where <see cref="DefaultCorpus"/> is downloaded from; tests point it at a loopback server.</summary>
    public Uri DefaultCorpusUrl { get; init; } = new(DefaultCorpus.Url);

    /// <summary>The cache folder to use: <see cref="CacheDirectory"/> if set, else <see cref="CorpusCache.DefaultDirectory"/>.</summary>
    /// <returns>A full path; the folder may not exist yet.</returns>
    /// <exception cref="CorpusException">No cache folder can be determined.</exception>
    public string ResolveCacheDirectory() =>
        CacheDirectory is null ? CorpusCache.DefaultDirectory() : Path.GetFullPath(CacheDirectory);
}
