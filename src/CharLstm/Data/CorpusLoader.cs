using System.Security.Cryptography;

namespace CharLstm.Data;

/// <summary>
/// Loads a corpus from a UTF-8 text file, a folder of text files, an http(s) URL (downloaded once into the cache),
/// or the <see cref="DefaultCorpus"/>. Every failure the user can fix is a <see cref="CorpusException"/>.
/// </summary>
public static class CorpusLoader
{
    private const string WhatToPass = "Pass a UTF-8 text file, a folder of text files, or an http(s) URL.";

    /// <summary>Loads one UTF-8 text file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Decoding options.</param>
    /// <returns>The corpus, named after the file.</returns>
    /// <exception cref="CorpusException">The file is missing or unreadable, looks binary (has a NUL byte),
    /// is not valid UTF-8 (under <see cref="InvalidUtf8Mode.Error"/>), or has no characters.</exception>
    public static Corpus LoadFile(string path, CorpusOptions options)
    {
        string fullPath = FullPath(path);
        return LoadFile(fullPath, options, Path.GetFileName(fullPath), fullPath);
    }

    /// <summary>
    /// Loads every text file under a folder, recursively, in ordinal order of their relative paths
    /// (with '/' separators, so the order is the same on every platform), joined with "\n".
    /// Hidden files and folders (names starting with '.', such as .git/) are left out, with one warning. Files with a NUL byte
    /// are taken for binary and skipped with a warning; a file without NUL bytes that is not valid UTF-8 is an error
    /// (under <see cref="InvalidUtf8Mode.Error"/>), since it is most likely text in another encoding.
    /// </summary>
    /// <param name="path">The folder.</param>
    /// <param name="options">Decoding options, applied to each file.</param>
    /// <param name="warn">Told about each skipped binary file, and once about hidden files; may be null.</param>
    /// <returns>The corpus, named after the folder; its <see cref="Corpus.Sha256"/> covers the files' bytes joined by LF bytes.</returns>
    /// <exception cref="CorpusException">The folder is missing or unreadable, has no text files, has a file that
    /// is not valid UTF-8, or the joined text is empty.</exception>
    public static Corpus LoadFolder(string path, CorpusOptions options, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        string folder = Path.TrimEndingDirectorySeparator(FullPath(path));
        if (!Directory.Exists(folder))
        {
            throw File.Exists(folder)
                ? new CorpusException($"{folder} is a file, not a folder. Load it with LoadFile.")
                : Missing(folder);
        }

        List<(string Relative, string Full)> files = ListFiles(folder, warn);
        var scalars = new List<int>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        int textFiles = 0;
        int binaryFiles = 0;
        long total = 0, bound = Math.Min(MaxBytes, AvailableMemory() / 5);
        foreach ((string relative, string full) in files)
        {
            byte[] bytes = ReadAllBytes(full);
            total += bytes.Length;
            if (total > bound) throw TooLarge(folder, total, bound);
            int nul = TextDecoding.IndexOfNul(bytes);
            if (nul >= 0)
            {
                binaryFiles++;
                warn?.Invoke($"Skipping {relative} in {folder}: it looks binary (NUL byte at offset {nul}).");
                continue;
            }

            if (textFiles > 0)
            {
                scalars.Add('\n');
                hash.AppendData("\n"u8);
            }

            TextDecoding.DecodeInto(scalars, bytes, options, full);
            hash.AppendData(bytes);
            textFiles++;
        }

        if (textFiles == 0)
        {
            string skipped = binaryFiles > 0 ? $" ({binaryFiles} binary file{(binaryFiles == 1 ? "" : "s")} skipped)" : "";
            throw new CorpusException($"The folder {folder} has no text files{skipped}. Put UTF-8 text files in it, or pass a text file.");
        }

        if (scalars.Count == 0)
        {
            throw Empty(folder);
        }

        string sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        string source = $"{folder} ({textFiles} text file{(textFiles == 1 ? "" : "s")})";
        return new Corpus(Path.GetFileName(folder), source, sha256, [.. scalars]);
    }

    /// <summary>Loads a local file or folder, whichever <paramref name="path"/> is.</summary>
    /// <param name="path">A file or a folder.</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="warn">Told about skipped files in a folder; may be null.</param>
    /// <returns>The corpus.</returns>
    /// <exception cref="CorpusException">See <see cref="LoadFile(string, CorpusOptions)"/> and <see cref="LoadFolder"/>.</exception>
    public static Corpus LoadPath(string path, CorpusOptions options, Action<string>? warn = null)
    {
        string fullPath = FullPath(path);
        return Directory.Exists(fullPath) ? LoadFolder(fullPath, options, warn) : LoadFile(fullPath, options);
    }

    /// <summary>
    /// Loads a local file or folder, or downloads an http(s) URL once into the cache (under
    /// <see cref="CorpusCache.FileNameForUrl"/>) and loads the cached copy. The <see cref="DefaultCorpus.Url"/> is
    /// cached as <see cref="DefaultCorpus.FileName"/> and checked against its checksum.
    /// </summary>
    /// <param name="pathOrUrl">A file, a folder, or an http(s) URL.</param>
    /// <param name="options">Decoding options.</param>
    /// <param name="downloadOptions">Cache folder, HTTP client, timeout, progress.</param>
    /// <param name="warn">Told about skipped files and replaced cache entries; may be null.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <returns>The corpus.</returns>
    /// <exception cref="CorpusException">Loading or downloading failed; see <see cref="LoadPath"/> and
    /// <see cref="CorpusDownloader.EnsureCachedAsync"/>.</exception>
    public static async Task<Corpus> LoadAsync(string pathOrUrl, CorpusOptions options, CorpusDownloadOptions downloadOptions,
        Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(downloadOptions);
        if (!TryParseUrl(pathOrUrl, out Uri? url))
        {
            return LoadPath(pathOrUrl, options, warn);
        }

        if (url.AbsoluteUri == new Uri(DefaultCorpus.Url).AbsoluteUri)
        {
            return await LoadDefaultAsync(options, downloadOptions with { DefaultCorpusUrl = url }, warn, cancellationToken)
                .ConfigureAwait(false);
        }

        string cached = await CorpusDownloader
            .EnsureCachedAsync(url, CorpusCache.FileNameForUrl(url), null, downloadOptions, warn, cancellationToken)
            .ConfigureAwait(false);
        string name = Uri.UnescapeDataString(url.Segments[^1]).Trim('/');
        return LoadFile(cached, options, name.Length == 0 ? url.Host : name, $"{url} (cached at {cached})");
    }

    /// <summary>Loads the <see cref="DefaultCorpus"/>, downloading it into the cache first if needed.</summary>
    /// <param name="options">Decoding options.</param>
    /// <param name="downloadOptions">Cache folder, HTTP client, timeout, progress, and the URL to download from.</param>
    /// <param name="warn">Told when a cached copy with a wrong checksum is replaced; may be null.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    /// <returns>The corpus, named <see cref="DefaultCorpus.FileName"/>.</returns>
    /// <exception cref="CorpusException">The download failed or its checksum is wrong.</exception>
    public static async Task<Corpus> LoadDefaultAsync(CorpusOptions options, CorpusDownloadOptions downloadOptions,
        Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(downloadOptions);
        string cached = await DefaultCorpus.EnsureCachedAsync(downloadOptions, warn, cancellationToken).ConfigureAwait(false);
        return LoadFile(cached, options, DefaultCorpus.FileName, $"{downloadOptions.DefaultCorpusUrl} (cached at {cached})");
    }

    private static Corpus LoadFile(string fullPath, CorpusOptions options, string name, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Directory.Exists(fullPath))
        {
            throw new CorpusException($"{fullPath} is a folder, not a file. Load it as a folder (LoadPath or LoadFolder).");
        }

        return FromBytes(ReadAllBytes(fullPath), options, fullPath, name, source);
    }

    /// <summary>
    /// Reads a corpus from <paramref name="stream"/> to its end (standard input, a pipe), bounded as files are:
    /// a stream that never ends is refused once it passes what this process may hold.
    /// </summary>
    /// <param name="stream">The bytes, UTF-8.</param>
    /// <param name="name">The corpus name (for the run folder and messages), such as "stdin".</param>
    /// <param name="options">Decoding options.</param>
    /// <exception cref="CorpusException">The text is binary (a NUL byte), not valid UTF-8, empty, or too large.</exception>
    public static Corpus LoadStream(Stream stream, string name, CorpusOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return FromBytes(ReadBounded(stream, name, knownLength: 0), options, name, name, name);
        }
        catch (IOException e)
        {
            throw new CorpusException($"Cannot read {name}: {e.Message}", e);
        }
    }

    private static Corpus FromBytes(byte[] bytes, CorpusOptions options, string where, string name, string source)
    {
        int nul = TextDecoding.IndexOfNul(bytes);
        if (nul >= 0)
        {
            throw new CorpusException(
                $"{where} looks like a binary file: it has a NUL byte at offset {nul}. Pass a UTF-8 text file.");
        }

        int[] scalars = TextDecoding.Decode(bytes, options, where);
        if (scalars.Length == 0)
        {
            throw Empty(where);
        }

        return new Corpus(name, source, Convert.ToHexStringLower(SHA256.HashData(bytes)), scalars);
    }

    // Every file under folder, recursively, in ordinal order of relative path. Hidden names (a '.' first: .git/, .DS_Store)
    // are tooling, not text, and are left out. Linked folders are followed once each: a link back to a folder already
    // being read (a loop) or read before is skipped, with a warning, instead of being followed until the system refuses.
    private static List<(string Relative, string Full)> ListFiles(string folder, Action<string>? warn)
    {
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            AttributesToSkip = FileAttributes.System,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        };
        try
        {
            var files = new List<(string Relative, string Full)>();
            var visited = new HashSet<string>(StringComparer.Ordinal) { RealPath(folder) };
            int hidden = 0;
            var repeated = new List<string>();
            var pending = new Stack<(string Full, string Relative)>();
            pending.Push((folder, ""));
            while (pending.Count > 0)
            {
                var (directory, prefix) = pending.Pop();
                foreach (string full in Directory.EnumerateFileSystemEntries(directory, "*", enumeration))
                {
                    string name = Path.GetFileName(full), relative = prefix + name;
                    if (name.StartsWith('.')) { hidden++; continue; }
                    if (!Directory.Exists(full)) { files.Add((relative, full)); continue; }
                    if (visited.Add(RealPath(full))) pending.Push((full, relative + "/"));
                    else repeated.Add(relative);
                }
            }

            if (hidden > 0)
            {
                string plural = hidden == 1 ? "" : "s";
                warn?.Invoke($"Skipping {hidden} hidden file{plural} or folder{plural} in {folder} (names starting with '.').");
            }
            if (repeated.Count > 0)
            {
                string links = repeated.Count == 1 ? "linked folder that leads" : "linked folders that lead";
                warn?.Invoke($"Skipping {repeated.Count} {links} to a folder read already in {folder} (a loop, or the same folder twice): "
                    + $"{string.Join(", ", repeated.Order(StringComparer.Ordinal).Take(5))}.");
            }

            files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
            return files;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CorpusException($"Cannot list the folder {folder}: {e.Message} Check its permissions.", e);
        }
    }

    /// <summary>
    /// The most bytes a corpus may have, a file or a whole folder: the largest array .NET makes. Decoded,
    /// a corpus takes about five times its size in memory (four bytes per character, then the ids).
    /// </summary>
    public const long MaxBytes = 0x7FFFFFC7;

    // Reading stops at the end of the file, at the chunk holding the first NUL byte (the caller then
    // reports a binary file: /dev/zero or /dev/urandom end there at once), or with an error past
    // MaxBytes or past the memory this process may use (a device or a pipe that never ends).
    private static byte[] ReadAllBytes(string fullPath)
    {
        try
        {
            using var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return ReadBounded(file, fullPath, file.CanSeek ? file.Length : 0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Missing(fullPath);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new CorpusException($"Cannot read {fullPath}: permission denied. Check its permissions, or pass another file.", e);
        }
        catch (IOException e)
        {
            throw new CorpusException($"Cannot read {fullPath}: {e.Message}", e);
        }
    }

    // The folder a path names once every link on the way is followed (the path itself when it is no link).
    private static string RealPath(string directory)
    {
        var info = new DirectoryInfo(directory);
        string target = info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
        // A link inside a linked folder is resolved relative to where it lies; resolving the parents as well makes two
        // routes to one folder compare equal.
        string? parent = Path.GetDirectoryName(target);
        return parent is null || parent == target ? target : Path.Combine(RealPath(parent), Path.GetFileName(target));
    }

    private static byte[] ReadBounded(Stream stream, string where, long knownLength)
    {
        long bound = Math.Min(MaxBytes, AvailableMemory() / 5);
        if (knownLength > bound) throw TooLarge(where, knownLength, bound);
        var buffer = new byte[knownLength > 0 ? knownLength : 1 << 16];
        int length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length >= bound) throw TooLarge(where, length, bound, endless: true);
                Array.Resize(ref buffer, (int)Math.Min(bound, Math.Max(1 << 16, 2L * length)));
            }
            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0) break;
            bool nul = buffer.AsSpan(length, read).IndexOf((byte)0) >= 0;
            length += read;
            if (nul) break;
        }
        return length == buffer.Length ? buffer : buffer[..length];
    }

    // What the garbage collector lets this process use (a container's limit when there is one).
    private static long AvailableMemory() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static CorpusException TooLarge(string fullPath, long size, long bound, bool endless = false)
    {
        string what = endless
            ? $"{fullPath} gave more than {bound:N0} bytes without ending (is it a device or a pipe that never ends?)"
            : $"{fullPath} has {size:N0} bytes, more than this process can read as a corpus ({bound:N0} bytes)";
        return new CorpusException($"{what}. Pass a text file of at most {bound:N0} bytes, or split the text and train on a part.");
    }

    private static bool TryParseUrl(string pathOrUrl, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? url)
    {
        url = null;
        if (pathOrUrl is null || !pathOrUrl.Contains("://", StringComparison.Ordinal))
        {
            return false;
        }

        if (!Uri.TryCreate(pathOrUrl, UriKind.Absolute, out Uri? parsed))
        {
            throw new CorpusException($"'{pathOrUrl}' is not a valid URL. {WhatToPass}");
        }

        if (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
        {
            throw new CorpusException($"Unsupported URL scheme '{parsed.Scheme}' in {pathOrUrl}. {WhatToPass}");
        }

        url = parsed;
        return true;
    }

    private static string FullPath(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CorpusException($"No corpus path was given. {WhatToPass}");
        }

        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new CorpusException($"'{path}' is not a valid path: {e.Message} {WhatToPass}", e);
        }
    }

    private static CorpusException Missing(string fullPath) =>
        new($"No such file or folder: {fullPath}. {WhatToPass}");

    private static CorpusException Empty(string fullPath) =>
        new($"The corpus {fullPath} is empty: it has no characters. Pass a text file with some text in it.");
}
