using System.Text;

namespace CharLstm.Data;

/// <summary>
/// The model's characters: the distinct Unicode scalar values of a corpus, sorted by value, so id i is the
/// i-th smallest character. Stored in the model file as a JSON array of one-character strings
/// (<see cref="ToStrings"/> / <see cref="FromStrings"/>).
/// </summary>
public sealed class Vocabulary
{
    private readonly int[] _scalars; // (Size) ascending scalar values; the index is the id
    private readonly Dictionary<int, int> _ids; // scalar value -> id

    private Vocabulary(int[] sortedScalars)
    {
        _scalars = sortedScalars;
        _ids = new Dictionary<int, int>(sortedScalars.Length);
        for (int id = 0; id < sortedScalars.Length; id++)
        {
            _ids.Add(sortedScalars[id], id);
        }
    }

    /// <summary>The number of distinct characters, at least 1.</summary>
    public int Size => _scalars.Length;

    /// <summary>The characters in id order (ascending scalar value).</summary>
    public ReadOnlySpan<int> Scalars => _scalars;

    /// <summary>The Unicode scalar value with id <paramref name="id"/>.</summary>
    /// <param name="id">An id in [0, <see cref="Size"/>).</param>
    /// <exception cref="IndexOutOfRangeException"><paramref name="id"/> is outside [0, <see cref="Size"/>).</exception>
    public int this[int id] => _scalars[id];

    /// <summary>Builds the vocabulary of a text: its distinct scalar values, sorted.</summary>
    /// <param name="scalars">The text as Unicode scalar values, typically <see cref="Corpus.Scalars"/>.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="ArgumentException">The text is empty, or holds a value that is not a Unicode scalar value.</exception>
    public static Vocabulary Build(ReadOnlySpan<int> scalars)
    {
        if (scalars.IsEmpty)
        {
            throw new ArgumentException("Cannot build a vocabulary from an empty text.", nameof(scalars));
        }

        var distinct = new HashSet<int>();
        foreach (int scalar in scalars)
        {
            if (distinct.Add(scalar) && !Rune.IsValid(scalar))
            {
                throw new ArgumentException($"{scalar} is not a Unicode scalar value.", nameof(scalars));
            }
        }

        int[] sorted = [.. distinct];
        Array.Sort(sorted);
        return new Vocabulary(sorted);
    }

    /// <summary>Reads a vocabulary stored by <see cref="ToStrings"/>, checking it thoroughly.</summary>
    /// <param name="entries">One string per id, each exactly one Unicode scalar value, in strictly ascending order.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="CorpusException">The list is empty, or an entry is null, empty, more than one character,
    /// a lone surrogate, a duplicate, or out of order. The message names the entry.</exception>
    public static Vocabulary FromStrings(IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            throw new CorpusException("Invalid vocabulary: it is empty; a model needs at least one character.");
        }

        int[] scalars = new int[entries.Count];
        for (int id = 0; id < entries.Count; id++)
        {
            string? entry = entries[id];
            if (entry is null)
            {
                throw new CorpusException($"Invalid vocabulary: entry {id} is null; each entry must be one character.");
            }

            if (Rune.DecodeFromUtf16(entry, out Rune rune, out int used) != System.Buffers.OperationStatus.Done
                || used != entry.Length)
            {
                string problem = entry.Length == 0 ? "is empty"
                    : char.IsSurrogate(entry[0]) && used == entry.Length ? "is a lone UTF-16 surrogate"
                    : $"has {entry.EnumerateRunes().Count()} characters";
                throw new CorpusException(
                    $"Invalid vocabulary: entry {id} (\"{Escape(entry)}\") {problem}; each entry must be exactly one " +
                    "character (Unicode scalar value).");
            }

            scalars[id] = rune.Value;
            if (id > 0 && scalars[id] <= scalars[id - 1])
            {
                int earlier = Array.IndexOf(scalars, scalars[id], 0, id);
                throw new CorpusException(earlier >= 0
                    ? $"Invalid vocabulary: entry {id} {TextScalars.Describe(scalars[id])} repeats entry {earlier}; entries must be distinct."
                    : $"Invalid vocabulary: entry {id} {TextScalars.Describe(scalars[id])} comes after entry {id - 1} " +
                      $"{TextScalars.Describe(scalars[id - 1])}; entries must be in ascending order of code point.");
            }
        }

        return new Vocabulary(scalars);
    }

    /// <summary>The vocabulary as one string per id, each one Unicode scalar value, for the model file.</summary>
    /// <returns>A new array of <see cref="Size"/> strings.</returns>
    public string[] ToStrings() => [.. _scalars.Select(scalar => new Rune(scalar).ToString())];

    /// <summary>Finds the id of a character.</summary>
    /// <param name="scalar">A Unicode scalar value.</param>
    /// <param name="id">Its id, or -1 when it is not in the vocabulary.</param>
    /// <returns>Whether the character is in the vocabulary.</returns>
    public bool TryGetId(int scalar, out int id)
    {
        if (_ids.TryGetValue(scalar, out id))
        {
            return true;
        }

        id = -1;
        return false;
    }

    /// <summary>Encodes characters to ids; every character must be in the vocabulary.</summary>
    /// <param name="scalars">Unicode scalar values.</param>
    /// <returns>One id per character.</returns>
    /// <exception cref="CorpusException">Some characters are not in the vocabulary; the message lists them.</exception>
    public int[] Encode(ReadOnlySpan<int> scalars) => Encode(scalars, UnknownMode.Error, out _);

    /// <summary>Encodes characters to ids, failing on or skipping characters outside the vocabulary.</summary>
    /// <param name="scalars">Unicode scalar values.</param>
    /// <param name="unknownMode">Whether unknown characters are an error or left out.</param>
    /// <param name="unknownScalars">The distinct unknown characters in ascending order; empty when there were none.</param>
    /// <returns>One id per known character.</returns>
    /// <exception cref="CorpusException"><paramref name="unknownMode"/> is <see cref="UnknownMode.Error"/> and some
    /// characters are unknown; the message lists them printably, such as <c>'é' (U+00E9)</c>.</exception>
    public int[] Encode(ReadOnlySpan<int> scalars, UnknownMode unknownMode, out int[] unknownScalars)
    {
        var ids = new List<int>(scalars.Length);
        SortedSet<int>? unknown = null;
        foreach (int scalar in scalars)
        {
            if (_ids.TryGetValue(scalar, out int id))
            {
                ids.Add(id);
            }
            else
            {
                (unknown ??= []).Add(scalar);
            }
        }

        unknownScalars = unknown is null ? [] : [.. unknown];
        if (unknown is not null && unknownMode == UnknownMode.Error)
        {
            throw new CorpusException(
                $"The text has {unknown.Count} character{(unknown.Count == 1 ? "" : "s")} that the model's vocabulary of {Size} characters " +
                $"does not have: {TextScalars.DescribeList(unknownScalars)}. Remove {(unknown.Count == 1 ? "it" : "them")} from the text, " +
                "or skip unknown characters.");
        }

        return [.. ids];
    }

    /// <summary>Decodes ids back to text.</summary>
    /// <param name="ids">Ids in [0, <see cref="Size"/>).</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, <see cref="Size"/>).</exception>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var builder = new StringBuilder(ids.Length);
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)_scalars.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Id at index {i} is outside [0, {Size}).");
            }

            builder.Append(new Rune(_scalars[ids[i]]));
        }

        return builder.ToString();
    }

    private static string Escape(string text) =>
        text.Length > 20 ? string.Concat(text.AsSpan(0, 20), "...") : text;
}
