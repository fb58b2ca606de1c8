namespace CharLstm.Cli.Commands.Serve;

/// <summary>A model to serve: the name requests use, and its file (already resolved from a run folder).</summary>
internal sealed record ModelSpec(string Name, string Path)
{
    /// <summary>
    /// Reads <c>--model</c>'s value: <c>NAME=PATH</c>, or a path whose name is its run folder's (a folder, or a
    /// best/last.safetensors inside one) or its file name without the extension.
    /// </summary>
    public static ModelSpec Parse(string value)
    {
        int eq = value.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0 && !File.Exists(value) && !Directory.Exists(value))
        {
            string name = value[..eq];
            if (!IsValidName(name))
                throw new UsageException($"--model: the name '{name}' may only have letters, digits, '.', '-' and '_'. "
                    + "Use NAME=PATH, e.g. shakespeare=runs/tiny.");
            return new ModelSpec(name, ModelLocator.Resolve(value[(eq + 1)..]));
        }
        string file = ModelLocator.Resolve(value);
        string stem = System.IO.Path.GetFileNameWithoutExtension(file);
        string folder = System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))) ?? "";
        string guess = Directory.Exists(value) || stem is "best" or "last" ? folder : stem;
        return new ModelSpec(IsValidName(guess) ? guess : "model", file);
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
