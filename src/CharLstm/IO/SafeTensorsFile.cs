using System.Collections.ObjectModel;

namespace CharLstm.IO;

/// <summary>The validated contents of a safetensors file: its metadata and its F32 tensors.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, TensorEntry> _byName;
    private readonly string _source;

    internal SafeTensorsFile(Dictionary<string, string> metadata, List<TensorEntry> tensors, string source)
    {
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        Tensors = tensors.AsReadOnly();
        _byName = tensors.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        _source = source;
    }

    /// <summary>The string-to-string <c>__metadata__</c> of the header; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order of their data in the file.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>Returns the tensor called <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's name, compared ordinally.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ModelFormatException">The file has no such tensor (<see cref="ModelFormatError.MissingTensor"/>).</exception>
    public TensorEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out TensorEntry? tensor))
        {
            return tensor;
        }

        const int shown = 20;
        string present = Tensors.Count == 0
            ? "it holds no tensors"
            : "it holds " + string.Join(", ", Tensors.Take(shown).Select(t => $"'{t.Name}'"))
                + (Tensors.Count > shown ? $" and {Tensors.Count - shown} more" : "");
        throw new ModelFormatException(
            ModelFormatError.MissingTensor,
            $"{_source}: has no tensor named '{name}'; {present}. "
            + "The file may be from a different model or program; check that you opened the right file.");
    }
}
