using System.Globalization;
using System.Text.RegularExpressions;
using CharLstm.Data;
using CharLstm.IO;
using CharLstm.Model;

namespace CharLstm.Interop;

/// <summary>
/// Reads a PyTorch state_dict saved as safetensors under the model file's tensor names (<c>embedding.weight</c> unless
/// one-hot, <c>lstm.weight_ih_lk</c>, <c>lstm.weight_hh_lk</c>, <c>lstm.bias_ih_lk</c>, <c>lstm.bias_hh_lk</c> per layer,
/// <c>head.weight</c>, <c>head.bias</c>) with a vocab.json, and makes a model of it. The shape is inferred from the
/// tensors: the hidden size from <c>lstm.weight_hh_l0</c>, the layers from the <c>lstm.*_lk</c> names, the embedding
/// width from <c>embedding.weight</c> (none: one-hot input), the vocabulary size from <c>head.weight</c>. Then every
/// tensor is checked against that shape, by name and exact shape, before anything is allocated for the model.
/// </summary>
public static partial class StateDictImport
{
    /// <summary>Reads the state_dict at <paramref name="statePath"/> and the vocab.json at <paramref name="vocabularyPath"/>.</summary>
    /// <param name="statePath">A safetensors file of F32 tensors.</param>
    /// <param name="vocabularyPath">A vocab.json (<see cref="VocabularyFile"/>).</param>
    /// <param name="dropout">The dropout recorded in the model (used if it is fine-tuned with <c>charlstm train --init-from</c>).</param>
    /// <exception cref="ModelFormatException">A file cannot be read, or a tensor is missing, extra or mis-shaped, or the vocabulary
    /// is malformed or disagrees with the tensors; <see cref="ModelFormatException.Error"/> says which and the message what to do.</exception>
    public static ImportedModel Import(string statePath, string vocabularyPath, float dropout = 0f)
    {
        ArgumentException.ThrowIfNullOrEmpty(statePath);
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        string[] vocabulary = VocabularyFile.Read(vocabularyPath);
        string where = $"State dict '{statePath}'";
        return FromFile(ReadState(statePath, where), vocabulary, where, $"'{vocabularyPath}'", dropout);
    }

    /// <summary>The model made of <paramref name="file"/>'s tensors and <paramref name="vocabulary"/> (entries in id order).</summary>
    internal static ImportedModel FromFile(SafeTensorsFile file, string[] vocabulary, string where, string vocabularyWhere, float dropout)
    {
        var config = InferConfig(file, vocabulary.Length, where, vocabularyWhere, dropout);
        var layout = ModelFile.Layout(config, where);
        CheckTensors(file, layout, config, where);

        // CharLstm keeps its characters in ascending code-point order; any other order is sorted here, and every row
        // (and one-hot column) indexed by a character's id moves with it, so the model computes the same function.
        int[] order = Enumerable.Range(0, vocabulary.Length).OrderBy(id => char.ConvertToUtf32(vocabulary[id], 0)).ToArray();
        bool reordered = order.Where((old, id) => old != id).Any();
        var sorted = Vocabulary.FromStrings(order.Select(id => vocabulary[id]).ToArray());
        var network = new LstmModel(config);
        foreach (var tensor in layout.Tensors)
        {
            float[] source = file.Get(tensor.Name).Data;
            var destination = ParameterLayout.View(network.Parameters, tensor);
            if (!reordered || !Indexed(tensor.Name, config, out bool byColumn)) source.CopyTo(destination);
            else if (!byColumn) MoveRows(source, destination, order, tensor.Length / config.VocabSize);
            else MoveColumns(source, destination, order, tensor.Shape[0]);
        }

        return new ImportedModel(new ModelFileContents(network, sorted), reordered);
    }

    private static SafeTensorsFile ReadState(string path, string where)
    {
        try { return SafeTensors.ReadFile(path, where); }
        catch (ModelFormatException e) when (e.Error == ModelFormatError.NotSafeTensors && Resemblance(path) is { } what)
        {
            // The reader's advice is for model files; a state_dict is fixed by saving it as safetensors.
            throw new ModelFormatException(e.Error, $"{where}: {what}. {SaveAdvice}", e);
        }
    }

    private static string? Resemblance(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            byte[] head = new byte[FileResemblance.HeadBytes];
            int length = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return FileResemblance.Describe(head.AsSpan(0, length))?.What;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private const string SaveAdvice = "Save the state_dict as safetensors (safetensors.torch.save_file(model.state_dict(), 'state.safetensors'), "
        + "or save_file from tools/safetensors_min.py), or convert a torch.save file with "
        + "'python3 tools/torch_interop.py save FILE --vocab vocab.json -o model.safetensors'.";

    private const string Names = "a CharLstm state_dict holds embedding.weight (unless the input is one-hot), lstm.weight_ih_lk, "
        + "lstm.weight_hh_lk, lstm.bias_ih_lk and lstm.bias_hh_lk for each layer k, head.weight and head.bias";

    private static ModelConfig InferConfig(SafeTensorsFile file, int vocabularyCount, string where, string vocabularyWhere, float dropout)
    {
        var byName = file.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (!byName.TryGetValue("lstm.weight_hh_l0", out var recurrent))
        {
            var prefixed = file.Tensors.FirstOrDefault(t => t.Name.EndsWith(".lstm.weight_hh_l0", StringComparison.Ordinal));
            if (prefixed is not null)
            {
                string prefix = prefixed.Name[..^"lstm.weight_hh_l0".Length];
                throw new ModelFormatException(ModelFormatError.MissingTensor, $"{where} has no tensor 'lstm.weight_hh_l0' but has "
                    + $"'{prefixed.Name}': its names start with '{prefix}' (DistributedDataParallel adds 'module.'). Save the inner module's "
                    + $"state_dict (model.module.state_dict()), or strip the prefix: {{k.removeprefix('{prefix}'): v for k, v in state.items()}}.");
            }

            throw new ModelFormatException(ModelFormatError.MissingTensor, $"{where} has no tensor 'lstm.weight_hh_l0' (shape [4·hidden, hidden]), "
                + $"which gives the hidden size; {Names}. It holds {List(file.Tensors.Select(t => t.Name))}.");
        }

        if (recurrent.Shape.Length != 2 || recurrent.Shape[1] < 1 || recurrent.Shape[0] != 4 * recurrent.Shape[1])
            throw new ModelFormatException(ModelFormatError.ShapeMismatch, $"{where}: tensor 'lstm.weight_hh_l0' has shape {Shape(recurrent.Shape)}, "
                + "but an LSTM's recurrent weights are [4·hidden, hidden] (gates i, f, g, o stacked).");
        int hidden = recurrent.Shape[1];

        int layers = 0;
        foreach (var tensor in file.Tensors)
        {
            if (LayerName().Match(tensor.Name) is not { Success: true } m) continue;
            int k = int.Parse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            if (k >= ModelConfig.MaxLayers)
                throw new ModelFormatException(ModelFormatError.UnexpectedTensor, $"{where} has tensor '{tensor.Name}' of LSTM layer {k}, "
                    + $"but CharLstm models have 1 to {ModelConfig.MaxLayers} layers (l0 to l{ModelConfig.MaxLayers - 1}).");
            layers = Math.Max(layers, k + 1);
        }

        int vocabSize = byName.TryGetValue("head.weight", out var head) && head.Shape.Length == 2 ? head.Shape[0]
            : byName.TryGetValue("head.bias", out var bias) && bias.Shape.Length == 1 ? bias.Shape[0]
            : vocabularyCount; // no head to count: the exact check below names the missing tensor and its expected shape
        if (vocabSize != vocabularyCount)
            throw new ModelFormatException(ModelFormatError.VocabularyMismatch, $"{where}: the tensors are for a vocabulary of {vocabSize} characters "
                + $"('{(head is not null ? "head.weight" : "head.bias")}' has {vocabSize} rows), but the vocabulary file {vocabularyWhere} has "
                + $"{vocabularyCount}. Pass the vocab.json saved with this state_dict.");

        int embedding = 0;
        if (byName.TryGetValue("embedding.weight", out var table))
        {
            if (table.Shape.Length != 2 || table.Shape[1] < 1)
                throw new ModelFormatException(ModelFormatError.ShapeMismatch, $"{where}: tensor 'embedding.weight' has shape {Shape(table.Shape)}, "
                    + $"expected [vocabulary, embedding width] = [{vocabSize}, E] with E at least 1.");
            embedding = table.Shape[1];
        }

        var config = new ModelConfig(vocabSize, embedding, hidden, layers, dropout);
        try { config.Validate(); }
        catch (ArgumentException e)
        {
            throw new ModelFormatException(ModelFormatError.ShapeMismatch, $"{where}: the tensors describe a model CharLstm cannot hold: "
                + $"{ErrorText.Reason(e)}.", e);
        }

        return config;
    }

    /// <summary>Every tensor of <paramref name="layout"/> present with its exact shape, and nothing else.</summary>
    private static void CheckTensors(SafeTensorsFile file, ParameterLayout layout, ModelConfig config, string where)
    {
        string shape = $"{config.Layers} LSTM layer{(config.Layers == 1 ? "" : "s")} of {config.HiddenSize} units, "
            + (config.OneHot ? "one-hot input" : $"embedding {config.EmbeddingSize}") + $", vocabulary {config.VocabSize}";
        var present = file.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var t in layout.Tensors)
        {
            if (!present.TryGetValue(t.Name, out var entry))
                throw new ModelFormatException(ModelFormatError.MissingTensor, $"{where} lacks tensor '{t.Name}', expected with shape {Shape(t.Shape)} "
                    + $"for the model the other tensors describe ({shape}).");
            if (!entry.Shape.SequenceEqual(t.Shape))
                throw new ModelFormatException(ModelFormatError.ShapeMismatch, $"{where}: tensor '{t.Name}' has shape {Shape(entry.Shape)}, expected "
                    + $"{Shape(t.Shape)} for the model the other tensors describe ({shape}).");
        }

        var extra = file.Tensors.Where(e => !layout.Contains(e.Name)).Select(e => e.Name).ToList();
        if (extra.Count == 0) return;
        string hint = extra.Any(n => n.Contains("_reverse", StringComparison.Ordinal)) ? " A bidirectional LSTM cannot generate text left to right; "
                + "CharLstm's layers are one-directional."
            : extra.Any(n => n.StartsWith("lstm.weight_hr", StringComparison.Ordinal)) ? " An LSTM with proj_size has no CharLstm equivalent."
            : " Keep only the embedding, LSTM and head tensors: {k: v for k, v in state.items() if k.split('.')[0] in ('embedding', 'lstm', 'head')}.";
        throw new ModelFormatException(ModelFormatError.UnexpectedTensor, $"{where} has {(extra.Count == 1 ? "a tensor" : "tensors")} that a CharLstm model "
            + $"({shape}) does not have: {List(extra)}; {Names}.{hint}");
    }

    // Whether a tensor's rows (or, for a one-hot first layer, its columns) are indexed by character id.
    private static bool Indexed(string name, ModelConfig config, out bool byColumn)
    {
        byColumn = config.OneHot && name == "lstm.weight_ih_l0";
        return byColumn || name is "embedding.weight" or "head.weight" or "head.bias";
    }

    // destination row id = source row order[id]
    private static void MoveRows(float[] source, Span<float> destination, int[] order, int width)
    {
        for (int id = 0; id < order.Length; id++)
            source.AsSpan(order[id] * width, width).CopyTo(destination.Slice(id * width, width));
    }

    // destination column id = source column order[id], in every row
    private static void MoveColumns(float[] source, Span<float> destination, int[] order, int rows)
    {
        int width = order.Length;
        for (int r = 0; r < rows; r++)
            for (int id = 0; id < width; id++)
                destination[r * width + id] = source[r * width + order[id]];
    }

    private static string Shape(int[] shape) => $"[{string.Join(", ", shape)}]";

    private static string List(IEnumerable<string> names)
    {
        var all = names.ToList();
        if (all.Count == 0) return "no tensors";
        return string.Join(", ", all.Take(10).Select(n => $"'{n}'")) + (all.Count > 10 ? $" and {all.Count - 10} more" : "");
    }

    [GeneratedRegex(@"^lstm\.(?:weight|bias)_(?:ih|hh)_l([0-9]{1,9})$")]
    private static partial Regex LayerName();
}

/// <summary>A model made of a PyTorch state_dict.</summary>
/// <param name="Contents">The network and its vocabulary, sorted by code point, ready for <see cref="ModelFile.Save"/>.</param>
/// <param name="Reordered">True when the vocab.json's characters were not in code-point order and the tensors' rows were moved with them.</param>
public sealed record ImportedModel(ModelFileContents Contents, bool Reordered);
