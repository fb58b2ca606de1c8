namespace CharLstm.Cli.Commands.Common;

/// <summary>
/// The rules for a file a verb writes with <c>--output</c>/<c>-o</c>, checked before anything is read or written: not a
/// folder, in a folder that exists, not one of the verb's inputs, and new unless the user passed <c>--overwrite</c>.
/// </summary>
internal static class OutputFile
{
    /// <summary>Refuses <paramref name="path"/> when it breaks a rule; <paramref name="inputs"/> are the files the verb reads.</summary>
    /// <param name="path">The output as typed.</param>
    /// <param name="overwrite">Whether <c>--overwrite</c> was given.</param>
    /// <param name="example">A file name to suggest when <paramref name="path"/> is a folder, such as <c>model.onnx</c>.</param>
    /// <param name="inputs">The files the verb reads, with what each is ("the model being exported").</param>
    /// <exception cref="UsageException">The output is one of the inputs (exit 2: the command line contradicts itself).</exception>
    /// <exception cref="InputException">A folder, a missing folder, or an existing file without --overwrite (exit 1).</exception>
    public static void Check(string path, bool overwrite, string example, params (string Path, string What)[] inputs)
    {
        if (Directory.Exists(path))
            throw new InputException($"--output: '{path}' is a folder. Name the file to write, such as {Path.Combine(path, example)}.");
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new InputException($"--output: the folder '{Path.GetDirectoryName(path)}' does not exist. Create it first, or write the file elsewhere.");
        var comparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        foreach (var (input, what) in inputs)
            if (string.Equals(full, Path.GetFullPath(input), comparison))
                throw new UsageException($"--output: '{path}' is {what}. Name another file.");
        if (File.Exists(path) && !overwrite)
            throw new InputException($"--output: '{path}' already exists. Pass --overwrite to replace it, or name another file.");
    }
}
