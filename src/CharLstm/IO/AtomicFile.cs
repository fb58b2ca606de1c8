using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace CharLstm.IO;

/// <summary>
/// Replaces a file all at once: readers, and a crash at any moment, see either the old file or the complete
/// new one, never a mix or a truncated file.
/// </summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Writes a new version of <paramref name="path"/>: <paramref name="write"/> fills a temporary file
    /// <c>.&lt;name&gt;.&lt;16 hex digits&gt;.tmp</c> in the same folder, which is flushed to disk and then renamed over
    /// <paramref name="path"/>. If anything fails, the temporary file is deleted and the previous file is untouched.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the whole new content to the stream it is given; it may close the stream.</param>
    /// <exception cref="ArgumentNullException"><paramref name="write"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty, or names a folder.</exception>
    /// <exception cref="IOException">The temporary file cannot be written or renamed; the previous file is unchanged.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or file may not be written; the previous file is unchanged.</exception>
    /// <remarks>Any exception <paramref name="write"/> throws propagates unchanged, after the temporary file is deleted.</remarks>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string name = Path.GetFileName(fullPath);
        if (name.Length == 0)
        {
            throw new ArgumentException($"'{path}' names a folder, not a file.", nameof(path));
        }

        string folder = Path.GetDirectoryName(fullPath)!;
        string temporary = Path.Combine(folder, $".{name}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        try
        {
            bool flushed = false;
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                write(stream);
                if (stream.CanWrite)
                {
                    stream.Flush(flushToDisk: true);
                    flushed = true;
                }
            }

            if (!flushed)
            {
                // The writer closed the stream itself: its bytes reached the OS but not necessarily the disk.
                using var reopened = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                reopened.Flush(flushToDisk: true);
            }

            // Without the flush above, a crash soon after the rename could leave an empty file under the final name.
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Deletes temporary files that <see cref="Write"/> left in <paramref name="folder"/> when a process died
    /// mid-write: files named like <c>.&lt;name&gt;.&lt;16 hex digits&gt;.tmp</c> last written before this process started,
    /// so writes in progress in this process are never touched. Files that cannot be deleted are skipped.
    /// </summary>
    /// <param name="folder">The folder to clean; nothing happens if it does not exist.</param>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is null or empty.</exception>
    public static void CleanStaleTemporaries(string folder)
    {
        using var process = Process.GetCurrentProcess();
        CleanStaleTemporaries(folder, process.StartTime.ToUniversalTime());
    }

    /// <summary>Deletes this class's temporary files in <paramref name="folder"/> last written before <paramref name="cutoffUtc"/>.</summary>
    internal static void CleanStaleTemporaries(string folder, DateTime cutoffUtc)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            if (!TemporaryName().IsMatch(Path.GetFileName(file)))
            {
                continue;
            }

            try
            {
                if (File.GetLastWriteTimeUtc(file) < cutoffUtc)
                {
                    File.Delete(file);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a file another process holds or just removed is not ours to fight over.
            }
        }
    }

    /// <summary>Whether <paramref name="fileName"/> is one of the hidden temporaries <see cref="Write"/> makes.</summary>
    public static bool IsTemporaryName(string fileName) => TemporaryName().IsMatch(fileName);

    [GeneratedRegex(@"^\..+\.[0-9a-f]{16}\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original exception matters more; a leftover is removed by CleanStaleTemporaries.
        }
    }
}
