namespace CharLstm.Cli.Commands.Common;

/// <summary>Finds and loads the model a user names: a model file, or a training output folder.</summary>
internal static class ModelLocator
{
    /// <summary>A file as given; a folder → its best.safetensors, else last.safetensors.</summary>
    public static string Resolve(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (string name in new[] { "best.safetensors", "last.safetensors" })
            {
                string candidate = Path.Combine(path, name);
                if (File.Exists(candidate)) return candidate;
            }
            throw new InputException($"the folder '{path}' holds no best.safetensors or "
                + $"last.safetensors. Pass a model file, or the --out folder of a finished 'charlstm train' run.");
        }
        if (!File.Exists(path)) throw new InputException($"no model file at '{path}'. Pass a "
            + $".safetensors file written by 'charlstm train', or its output folder.");
        return path;
    }

    public static CharLanguageModel Load(string path) => CharLanguageModel.Load(Resolve(path));
}
