using System.Net.Sockets;
using System.Security.Cryptography;

namespace CharLstm.Data;

/// <summary>
/// Downloads a file into the corpus cache once, like <c>keras.utils.get_file</c>: the bytes go to a temporary file
/// in the cache folder, are checked against the expected SHA-256 when one is given, and only then are moved into
/// place. A failed, cut or mismatching download leaves nothing behind.
/// </summary>
public static class CorpusDownloader
{
    private const int BufferSize = 81920;

    /// <summary>
    /// Returns the cached copy of <paramref name="url"/>, downloading it first if it is missing, or if
    /// <paramref name="expectedSha256"/> is given and the cached copy does not match it (the copy is then replaced,
    /// with a warning).
    /// </summary>
    /// <param name="url">An http or https URL.</param>
    /// <param name="fileName">The file name in the cache folder.</param>
    /// <param name="expectedSha256">The file's SHA-256 in hex, or null to accept any content.</param>
    /// <param name="options">Cache folder, HTTP client, inactivity timeout, progress.</param>
    /// <param name="warn">Told when a cached copy is replaced; may be null.</param>
    /// <param name="cancellationToken">Cancels the download; the temporary file is removed.</param>
    /// <returns>The full path of the cached file.</returns>
    /// <exception cref="CorpusException">The server cannot be reached, answers with an error, falls silent for
    /// longer than <see cref="CorpusDownloadOptions.Timeout"/>, or cuts the download; the checksum does not match;
    /// or the cache folder cannot be written. The message names the URL and, for network failures, the exact path
    /// to put the file at by hand.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<string> EnsureCachedAsync(
        Uri url,
        string fileName,
        string? expectedSha256,
        CorpusDownloadOptions options,
        Action<string>? warn = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentNullException.ThrowIfNull(options);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Expected an http or https URL, got '{url}'.", nameof(url));
        }

        string? expected = expectedSha256?.ToLowerInvariant();
        string cacheDirectory = options.ResolveCacheDirectory();
        string destination = Path.Combine(cacheDirectory, fileName);
        if (File.Exists(destination))
        {
            if (expected is null)
            {
                return destination;
            }

            string cachedSha256 = HashFile(destination);
            if (cachedSha256 == expected)
            {
                return destination;
            }

            warn?.Invoke($"The cached {destination} has sha256 {cachedSha256}, not the expected {expected}; downloading it again.");
        }

        try
        {
            Directory.CreateDirectory(cacheDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorpusException(
                $"Cannot create the cache folder {cacheDirectory}: {e.Message} Set {CorpusCache.EnvironmentVariable} to a writable folder.",
                e);
        }

        string temporary = Path.Combine(cacheDirectory, $"{fileName}.{Guid.NewGuid():N}.part");
        bool moved = false;
        try
        {
            string actual = await DownloadAsync(url, temporary, destination, options, cancellationToken).ConfigureAwait(false);
            if (expected is not null && actual != expected)
            {
                throw new CorpusException(
                    $"Checksum mismatch for {url}: expected sha256 {expected}, got {actual}. Nothing was saved. " +
                    "The download was corrupted or the file at that address has changed; try again, " +
                    "or pass a local text file instead: charlstm train PATH.");
            }

            File.Move(temporary, destination, overwrite: true);
            moved = true;
            return destination;
        }
        finally
        {
            if (!moved)
            {
                TryDelete(temporary);
            }
        }
    }

    /// <summary>Streams the body of <paramref name="url"/> into <paramref name="temporary"/>; returns its SHA-256.</summary>
    private static async Task<string> DownloadAsync(
        Uri url, string temporary, string destination, CorpusDownloadOptions options, CancellationToken cancellationToken)
    {
        HttpClient? ownClient = options.HttpClient is null ? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan } : null;
        HttpClient client = options.HttpClient ?? ownClient!;
        // One token for the caller's cancellation and the inactivity timeout, re-armed before every wait.
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long received = 0;
        long? total = null;
        try
        {
            idle.CancelAfter(options.Timeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using HttpResponseMessage response = await client
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token)
                .ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CorpusException(
                    $"Could not download {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}. " +
                    OfflineHint(url, destination));
            }

            total = response.Content.Headers.ContentLength;
            options.Progress?.Report((0, total));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using Stream body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            await using FileStream file = CreateTemporary(temporary);
            byte[] buffer = new byte[BufferSize];
            while (true)
            {
                int count;
                try
                {
                    idle.CancelAfter(options.Timeout);
                    count = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    throw Cut(url, received, total, destination, e);
                }

                if (count == 0)
                {
                    break;
                }

                await WriteAsync(file, buffer.AsMemory(0, count), temporary, cancellationToken).ConfigureAwait(false);
                hash.AppendData(buffer, 0, count);
                received += count;
                options.Progress?.Report((received, total));
            }

            if (total is long announced && received != announced)
            {
                throw Cut(url, received, total, destination, null);
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Not the caller: the inactivity timeout (or the injected client's own timeout) fired.
            string when = received == 0 && total is null ? "no answer" : $"no data after {received:N0} byte{(received == 1 ? "" : "s")}";
            throw new CorpusException(
                $"Could not download {url}: {when} for {options.Timeout.TotalSeconds:0.#} s. Nothing was saved. " +
                OfflineHint(url, destination),
                e);
        }
        catch (HttpRequestException e)
        {
            string reason = e.InnerException is SocketException socket ? socket.Message : e.Message;
            throw new CorpusException($"Could not download {url}: {reason}. " + OfflineHint(url, destination), e);
        }
        finally
        {
            ownClient?.Dispose();
        }
    }

    private static CorpusException Cut(Uri url, long received, long? total, string destination, Exception? cause)
    {
        string of = total is long announced ? $" of {announced:N0}" : "";
        string message = $"The download of {url} was cut after {received:N0}{of} byte{((total ?? received) == 1 ? "" : "s")}. Nothing was saved; " +
            "run the command again to retry. " + OfflineHint(url, destination);
        return cause is null ? new CorpusException(message) : new CorpusException(message, cause);
    }

    private static string OfflineHint(Uri url, string destination) =>
        $"If this machine is offline, fetch {url} elsewhere and save it as {destination}, " +
        "or pass a local text file instead: charlstm train PATH.";

    private static FileStream CreateTemporary(string path)
    {
        try
        {
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorpusException(
                $"Cannot write {path}: {e.Message} Set {CorpusCache.EnvironmentVariable} to a writable folder.", e);
        }
    }

    private static async Task WriteAsync(FileStream file, ReadOnlyMemory<byte> bytes, string path, CancellationToken cancellationToken)
    {
        try
        {
            await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CorpusException($"Cannot write {path}: {e.Message} Free some space or set {CorpusCache.EnvironmentVariable} to another folder.", e);
        }
    }

    private static string HashFile(string path)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorpusException($"Cannot read the cached {path}: {e.Message} Delete it to download it again.", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover *.part file is harmless and never taken for the real one.
        }
    }
}
