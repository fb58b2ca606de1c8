using System.Text;
using System.Text.Json;
using CharLstm.Data;
using CharLstm.IO;

namespace CharLstm.Interop;

/// <summary>
/// Reads a vocab.json: a JSON list of one-character strings in id order (<c>["\n", " ", "a"]</c>, as a model file's
/// <c>charlstm.vocabulary</c> stores it), or an object mapping each character to its id (<c>{"a": 0, "b": 1}</c>, as
/// Keras and textgenrnn users keep it). Any order of characters is accepted; every entry is checked.
/// </summary>
public static class VocabularyFile
{
    /// <summary>The largest vocab.json read: far more than every Unicode scalar value written as JSON takes.</summary>
    public const int MaxBytes = 64 * 1024 * 1024;

    /// <summary>The characters of the vocab.json at <paramref name="path"/>, one per id, in id order.</summary>
    /// <exception cref="ModelFormatException">The file cannot be read (<see cref="ModelFormatError.Io"/>) or is not such a
    /// vocabulary (<see cref="ModelFormatError.BadVocabulary"/>); the message names the entry and says what to do.</exception>
    public static string[] Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string where = $"Vocabulary file '{path}'";
        return Parse(ReadBytes(path, where), where);
    }

    /// <summary>Parses a vocab.json's bytes; <paramref name="where"/> names the file in messages.</summary>
    internal static string[] Parse(byte[] bytes, string where)
    {
        ReadOnlyMemory<byte> json = bytes.AsMemory();
        if (json.Span.StartsWith("\uFEFF"u8)) json = json[3..];
        JsonDocument document;
        try { document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException e)
        {
            throw Bad(where, $"is not valid JSON (line {e.LineNumber + 1}: {ErrorText.Reason(e)})");
        }

        using (document)
        {
            var root = document.RootElement;
            string[] entries;
            try
            {
                entries = root.ValueKind switch
                {
                    JsonValueKind.Array => FromList(root, where),
                    JsonValueKind.Object => FromObject(root, where),
                    _ => throw Bad(where, $"is a JSON {root.ValueKind.ToString().ToLowerInvariant()}"),
                };
            }
            catch (InvalidOperationException e)
            {
                // JsonElement.GetString refuses an escape such as "\ud800" that decodes to half a character.
                throw Bad(where, $"has a string with a lone UTF-16 surrogate escape, which is not a character ({ErrorText.Reason(e)})");
            }

            if (entries.Length == 0) throw Bad(where, "is empty; a model has at least one character");
            CheckEntries(entries, where);
            return entries;
        }
    }

    private static string[] FromList(JsonElement root, string where)
    {
        var entries = new string[root.GetArrayLength()];
        int id = 0;
        foreach (var item in root.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw Bad(where, $"has entry {id} that is a JSON {item.ValueKind.ToString().ToLowerInvariant()}, not a one-character string");
            entries[id++] = item.GetString()!;
        }

        return entries;
    }

    private static string[] FromObject(JsonElement root, string where)
    {
        var pairs = new List<(string Character, long Id)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name)) throw Bad(where, $"has the key {Quote(property.Name)} twice");
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt64(out long id))
                throw Bad(where, $"maps {Quote(property.Name)} to {property.Value.GetRawText()}, not a whole-number id");
            pairs.Add((property.Name, id));
        }

        var entries = new string?[pairs.Count];
        foreach (var (character, id) in pairs)
        {
            if (id < 0 || id >= pairs.Count)
                throw Bad(where, $"maps {Quote(character)} to id {id}, outside 0 to {pairs.Count - 1} (ids must number the {pairs.Count} characters from 0)");
            if (entries[id] is { } other) throw Bad(where, $"gives id {id} to both {Quote(other)} and {Quote(character)}");
            entries[id] = character;
        }

        return entries!; // every id in 0..Count-1 was given once, so no slot is empty
    }

    private static void CheckEntries(string[] entries, string where)
    {
        var first = new Dictionary<int, int>(entries.Length);
        for (int id = 0; id < entries.Length; id++)
        {
            string entry = entries[id];
            if (Rune.DecodeFromUtf16(entry, out Rune rune, out int used) != System.Buffers.OperationStatus.Done || used != entry.Length)
            {
                string problem = entry.Length == 0 ? "is empty"
                    : char.IsSurrogate(entry[0]) && used == entry.Length ? "is a lone UTF-16 surrogate"
                    : $"has {entry.EnumerateRunes().Count()} characters";
                throw Bad(where, $"has entry {id}, {Quote(entry)}, that {problem}; each entry must be exactly one character (Unicode scalar value)");
            }

            if (first.TryGetValue(rune.Value, out int earlier))
                throw Bad(where, $"has entry {id}, {TextScalars.Describe(rune.Value)}, that repeats entry {earlier}; each character may appear once");
            first.Add(rune.Value, id);
        }
    }

    private static byte[] ReadBytes(string path, string where)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
            // Read at most one byte more than the limit: a device such as /dev/zero reports no length and never ends.
            var buffer = new MemoryStream();
            byte[] chunk = new byte[64 * 1024];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBytes)
                    throw new ModelFormatException(ModelFormatError.BadVocabulary, $"{where} is larger than {MaxBytes:N0} bytes, "
                        + "far more than any vocabulary takes. Pass the vocab.json saved with the state_dict.");
            }

            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(ModelFormatError.Io, $"{where} cannot be read ({ErrorText.Reason(e)}). Check the path and that you "
                + "may read the file.", e);
        }
    }

    private static ModelFormatException Bad(string where, string what) => new(ModelFormatError.BadVocabulary,
        $"{where} {what}. A vocab.json is a JSON list of one-character strings in id order, such as [\"\\n\", \" \", \"a\"], "
        + "or an object mapping each character to its id, such as {\"a\": 0, \"b\": 1}.");

    // A string as JSON writes it, so a newline or a tab shows as \n or \t.
    private static string Quote(string text) => JsonSerializer.Serialize(text.Length > 20 ? text[..20] + "…" : text, Json);

    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
