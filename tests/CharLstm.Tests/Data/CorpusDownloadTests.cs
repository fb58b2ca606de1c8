using System.Security.Cryptography;
using System.Text;
using CharLstm.Data;

namespace CharLstm.Tests.Data;

public sealed class CorpusDownloadTests : IDisposable
{
    private static readonly byte[] Text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("First Citizen:\nSpeak, speak.\n", 2000)));
    private static readonly string TextSha256 = Convert.ToHexStringLower(SHA256.HashData(Text));

    private readonly TempFolder _temp = new();
    private readonly HttpClient _client = LoopbackHttpServer.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private string CacheDirectory => Path.Combine(_temp.Path, "cache");

    private CorpusDownloadOptions Options(Uri? defaultCorpusUrl = null) => new()
    {
        CacheDirectory = CacheDirectory,
        HttpClient = _client,
        Timeout = TimeSpan.FromSeconds(10),
        DefaultCorpusUrl = defaultCorpusUrl ?? new Uri(DefaultCorpus.Url),
    };

    private string[] CachedFiles() =>
        Directory.Exists(CacheDirectory) ? Directory.GetFiles(CacheDirectory) : [];

    [Fact]
    public async Task Good_download_is_verified_cached_and_not_fetched_twice()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text));
        var progress = new RecordingProgress();
        CorpusDownloadOptions options = Options() with { Progress = progress };

        string path = await CorpusDownloader.EnsureCachedAsync(server.Url("input.txt"), "input.txt", TextSha256, options, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Path.Combine(CacheDirectory, "input.txt"), path);
        Assert.Equal(Text, File.ReadAllBytes(path));
        Assert.Equal([path], CachedFiles()); // no *.part left over
        Assert.Equal(1, server.RequestCount);
        Assert.Equal((Text.Length, (long?)Text.Length), progress.Reports[^1]);

        string again = await CorpusDownloader.EnsureCachedAsync(server.Url("input.txt"), "input.txt", TextSha256, options, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(path, again);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task Url_corpus_is_downloaded_once_and_loaded()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text));
        Uri url = server.Url("plays/input.txt");

        Corpus corpus = await CorpusLoader.LoadAsync(url.ToString(), CorpusOptions.Default, Options(), cancellationToken: TestContext.Current.CancellationToken);
        Corpus again = await CorpusLoader.LoadAsync(url.ToString(), CorpusOptions.Default, Options(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, server.RequestCount);
        Assert.Equal("input.txt", corpus.Name);
        Assert.Contains(url.ToString(), corpus.Source);
        Assert.Equal(TextSha256, corpus.Sha256);
        Assert.Equal(Text.Length, corpus.Length);
        Assert.Equal(corpus.Scalars, again.Scalars);
        Assert.Equal([Path.Combine(CacheDirectory, CorpusCache.FileNameForUrl(url))], CachedFiles());
    }

    [Fact]
    public async Task Wrong_checksum_leaves_nothing_and_names_both_hashes()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text));
        CorpusDownloadOptions options = Options(server.Url("input.txt"));

        var error = await Assert.ThrowsAsync<CorpusException>(() => DefaultCorpus.EnsureCachedAsync(options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("Checksum mismatch", error.Message);
        Assert.Contains(DefaultCorpus.Sha256, error.Message);
        Assert.Contains(TextSha256, error.Message);
        Assert.Empty(CachedFiles());
    }

    [Fact]
    public async Task Download_cut_midway_leaves_nothing()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text, SendOnly: 5000));
        Uri url = server.Url("input.txt");

        var error = await Assert.ThrowsAsync<CorpusException>(
            () => CorpusDownloader.EnsureCachedAsync(url, "input.txt", null, Options(), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("was cut after", error.Message);
        Assert.Contains($"of {Text.Length:N0} bytes", error.Message);
        Assert.Contains(url.ToString(), error.Message);
        Assert.Empty(CachedFiles());
    }

    [Fact]
    public async Task Unreachable_server_names_url_cache_path_and_local_alternative()
    {
        Uri url = LoopbackHttpServer.UnreachableUrl("input.txt");
        CorpusDownloadOptions options = Options(url);

        var error = await Assert.ThrowsAsync<CorpusException>(() => CorpusLoader.LoadDefaultAsync(CorpusOptions.Default, options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains(url.ToString(), error.Message);
        Assert.Contains(DefaultCorpus.CachePath(options), error.Message);
        Assert.Contains("charlstm train PATH", error.Message);
        Assert.Empty(CachedFiles());
    }

    [Fact]
    public async Task Silent_server_times_out()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text, Silent: true));
        CorpusDownloadOptions options = Options(server.Url("input.txt")) with { Timeout = TimeSpan.FromMilliseconds(200) };

        var error = await Assert.ThrowsAsync<CorpusException>(() => DefaultCorpus.EnsureCachedAsync(options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("no answer", error.Message);
        Assert.Contains(DefaultCorpus.CachePath(options), error.Message);
        Assert.Empty(CachedFiles());
    }

    [Fact]
    public async Task Caller_cancellation_is_not_reported_as_offline()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text, Silent: true));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => CorpusDownloader.EnsureCachedAsync(server.Url("a.txt"), "a.txt", null, Options(), null, cancel.Token));
        Assert.Empty(CachedFiles());
    }

    [Fact]
    public async Task Http_error_status_is_reported()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(404, "gone"u8.ToArray()));
        Uri url = server.Url("missing.txt");

        var error = await Assert.ThrowsAsync<CorpusException>(
            () => CorpusDownloader.EnsureCachedAsync(url, "missing.txt", null, Options(), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("404", error.Message);
        Assert.Contains(url.ToString(), error.Message);
        Assert.Empty(CachedFiles());
    }

    [Fact]
    public async Task Cached_copy_with_wrong_checksum_is_replaced_with_a_warning()
    {
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, Text));
        Directory.CreateDirectory(CacheDirectory);
        File.WriteAllText(Path.Combine(CacheDirectory, "input.txt"), "truncated by hand");
        var warnings = new List<string>();

        string path = await CorpusDownloader.EnsureCachedAsync(server.Url("input.txt"), "input.txt", TextSha256, Options(), warnings.Add, TestContext.Current.CancellationToken);

        Assert.Equal(Text, File.ReadAllBytes(path));
        Assert.Contains(TextSha256, Assert.Single(warnings));
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public void Cache_folder_follows_environment_then_xdg_then_home()
    {
        string root = OperatingSystem.IsWindows() ? @"C:\" : "/";
        string custom = Path.Combine(root, "custom");
        string xdg = Path.Combine(root, "xdg");
        string home = Path.Combine(root, "home", "ada");
        string local = Path.Combine(root, "local");
        Func<string, string?> Env(string? charlstm, string? xdgCache) =>
            name => name == CorpusCache.EnvironmentVariable ? charlstm : name == "XDG_CACHE_HOME" ? xdgCache : null;

        Assert.Equal(custom, CorpusCache.ResolveDirectory(Env(custom, xdg), false, home, local));
        Assert.Equal(Path.Combine(xdg, "charlstm"), CorpusCache.ResolveDirectory(Env(null, xdg), false, home, local));
        Assert.Equal(Path.Combine(home, ".cache", "charlstm"), CorpusCache.ResolveDirectory(Env("", "relative/xdg"), false, home, local));
        Assert.Equal(Path.Combine(local, "charlstm"), CorpusCache.ResolveDirectory(Env(null, null), true, home, local));
        Assert.Throws<CorpusException>(() => CorpusCache.ResolveDirectory(Env(null, null), false, "", ""));
    }

    [Fact]
    public void Cache_file_name_is_keyed_by_url_and_safe()
    {
        string a = CorpusCache.FileNameForUrl(new Uri("https://example.com/data/my%20book?.txt"));
        string b = CorpusCache.FileNameForUrl(new Uri("https://example.org/data/my%20book?.txt"));
        Assert.NotEqual(a, b);
        Assert.Matches("^[0-9a-f]{16}-my_book$", a);
        Assert.EndsWith("-download.txt", CorpusCache.FileNameForUrl(new Uri("https://example.com/")));
    }

    private sealed class RecordingProgress : IProgress<(long Received, long? Total)>
    {
        public List<(long Received, long? Total)> Reports { get; } = [];

        public void Report((long Received, long? Total) value) => Reports.Add(value);
    }
}
