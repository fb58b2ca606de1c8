using System.Security.Cryptography;
using System.Text;

namespace CharLstm.Data;

/// <summary>Where downloaded corpora are kept, and the file name each URL is cached under.</summary>
public static class CorpusCache
{
    /// <summary>The environment variable that overrides the cache folder.</summary>
    public const string EnvironmentVariable = "CHARLSTM_CACHE";

    /// <summary>
    /// The cache folder: <c>$CHARLSTM_CACHE</c> if set; else <c>$XDG_CACHE_HOME/charlstm</c> if that is set to an
    /// absolute path; else <c>%LOCALAPPDATA%\charlstm</c> on Windows and <c>~/.cache/charlstm</c> elsewhere.
    /// The folder is not created here.
    /// </summary>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="CorpusException">No home folder is known and no variable names a cache folder.</exception>
    public static string DefaultDirectory() => ResolveDirectory(
        Environment.GetEnvironmentVariable,
        OperatingSystem.IsWindows(),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData));

    /// <summary>The cache file name for a URL: 16 hex digits of the URL's SHA-256, a dash, and the URL's last segment.</summary>
    /// <param name="url">An absolute URL.</param>
    /// <returns>A file name safe on every platform, for example <c>3f2a…-input.txt</c>.</returns>
    public static string FileNameForUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)))[..16];
        string lastSegment = Uri.UnescapeDataString(url.Segments.Length > 0 ? url.Segments[^1] : "").Trim('/');
        var safe = new StringBuilder();
        foreach (char c in lastSegment)
        {
            if (safe.Length == 64)
            {
                break;
            }

            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }

        string name = safe.ToString().Trim('.');
        return $"{key}-{(name.Length == 0 ? "download.txt" : name)}";
    }

    /// <summary>The rule of <see cref="DefaultDirectory"/>, with the environment passed in so tests can vary it.</summary>
    internal static string ResolveDirectory(
        Func<string, string?> getEnvironmentVariable, bool isWindows, string home, string localApplicationData)
    {
        string? explicitFolder = getEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitFolder))
        {
            return Path.GetFullPath(explicitFolder);
        }

        // The XDG spec says relative values are invalid and must be ignored.
        string? xdgCache = getEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdgCache) && Path.IsPathRooted(xdgCache))
        {
            return Path.Combine(xdgCache, "charlstm");
        }

        if (isWindows && !string.IsNullOrEmpty(localApplicationData))
        {
            return Path.Combine(localApplicationData, "charlstm");
        }

        if (!string.IsNullOrEmpty(home))
        {
            return Path.Combine(home, ".cache", "charlstm");
        }

        throw new CorpusException(
            $"Cannot find a folder for downloaded corpora: no home folder is known. Set {EnvironmentVariable} to a writable folder.");
    }
}
