using System.Globalization;
using System.Text.RegularExpressions;

namespace CharLstm.IO;

/// <summary>
/// <c>--keep N</c>: before a run folder's <c>last</c> files are replaced, copies them to step-numbered names
/// (<c>step-00001234.safetensors</c> and <c>step-00001234.checkpoint.safetensors</c>) and deletes the
/// step-numbered pairs beyond the <c>N</c> most recent. <c>best</c> and <c>last</c> themselves are never touched.
/// </summary>
public static partial class CheckpointRotation
{
    /// <summary>The model file the trainer replaces on every save.</summary>
    public const string LastModelName = "last.safetensors";
    /// <summary>The checkpoint the trainer replaces on every save.</summary>
    public const string LastCheckpointName = "last.checkpoint.safetensors";

    /// <summary>The step-numbered model file name of <paramref name="step"/>.</summary>
    public static string ModelName(long step) => $"step-{step.ToString("D8", CultureInfo.InvariantCulture)}.safetensors";

    /// <summary>The step-numbered checkpoint name of <paramref name="step"/>.</summary>
    public static string CheckpointName(long step) => $"step-{step.ToString("D8", CultureInfo.InvariantCulture)}.checkpoint.safetensors";

    /// <summary>
    /// Call just before writing new <c>last</c> files. With <paramref name="keep"/> &gt; 0 and a readable
    /// <c>last.checkpoint.safetensors</c> in <paramref name="folder"/>, copies it and <c>last.safetensors</c> to the
    /// step-numbered names of the checkpoint's step (each copy atomic), then keeps only the <paramref name="keep"/>
    /// most recent step-numbered pairs. With <paramref name="keep"/> = 0 nothing happens, and step-numbered files of
    /// earlier runs are left alone.
    /// </summary>
    /// <param name="folder">The run folder.</param>
    /// <param name="keep">How many step-numbered pairs to keep; 0 keeps none and writes none.</param>
    /// <returns>The step copied, or null when nothing was (no <c>last</c> checkpoint yet, or one whose header is damaged).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keep"/> is negative.</exception>
    /// <exception cref="IOException">A copy or a deletion failed; the <c>last</c> files are unchanged.</exception>
    public static long? PreserveLast(string folder, int keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        if (keep == 0) return null;
        string checkpoint = Path.Combine(folder, LastCheckpointName);
        if (!File.Exists(checkpoint)) return null;
        long step;
        try
        {
            var meta = SafeTensors.ReadMetadata(checkpoint);
            if (!meta.TryGetValue("charlstm.step", out string? s) || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out step)) return null;
        }
        catch (ModelFormatException)
        {
            return null; // a damaged file is not worth keeping a copy of; the caller's save replaces it
        }

        // The model first: a crash between the two copies leaves a model without its checkpoint, which Prune tolerates.
        string model = Path.Combine(folder, LastModelName);
        if (File.Exists(model)) Copy(model, Path.Combine(folder, ModelName(step)));
        Copy(checkpoint, Path.Combine(folder, CheckpointName(step)));
        Prune(folder, keep);
        return step;
    }

    /// <summary>Steps that have a step-numbered model or checkpoint in <paramref name="folder"/>, ascending.</summary>
    public static IReadOnlyList<long> KeptSteps(string folder)
    {
        if (!Directory.Exists(folder)) return [];
        var steps = new SortedSet<long>();
        foreach (string file in Directory.EnumerateFiles(folder, "step-*.safetensors"))
        {
            var m = StepName().Match(Path.GetFileName(file));
            if (m.Success && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long step)) steps.Add(step);
        }
        return [.. steps];
    }

    /// <summary>Deletes the step-numbered files of all but the <paramref name="keep"/> highest steps.</summary>
    public static void Prune(string folder, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var steps = KeptSteps(folder);
        foreach (long step in steps.Take(Math.Max(0, steps.Count - keep)))
        {
            File.Delete(Path.Combine(folder, CheckpointName(step)));
            File.Delete(Path.Combine(folder, ModelName(step)));
        }
    }

    private static void Copy(string source, string destination) =>
        AtomicFile.Write(destination, target =>
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
            input.CopyTo(target);
        });

    [GeneratedRegex(@"^step-(\d{1,18})\.(?:checkpoint\.)?safetensors$", RegexOptions.CultureInvariant)]
    private static partial Regex StepName();
}
