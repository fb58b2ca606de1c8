using System.Buffers;
using System.Text;

namespace CharLstm.Data;

/// <summary>
/// Strict UTF-8 decoding of corpus bytes into Unicode scalar values, with the optional
/// lower-casing and newline normalisation of <see cref="CorpusOptions"/>.
/// </summary>
/// <remarks>
/// A character is one Unicode scalar value (<see cref="Rune"/>): an emoji or a CJK character outside the
/// Basic Multilingual Plane is one character, not a UTF-16 surrogate pair. A leading byte order mark is dropped.
/// </remarks>
public static class TextDecoding
{
    /// <summary>The UTF-8 byte order mark EF BB BF, dropped when a text starts with it.</summary>
    public static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>Decodes UTF-8 bytes into Unicode scalar values.</summary>
    /// <param name="utf8">The raw bytes, possibly starting with a byte order mark.</param>
    /// <param name="options">Invalid-byte handling, lower-casing and newline normalisation.</param>
    /// <param name="source">Where the bytes came from (a file path or URL), named in error messages.</param>
    /// <returns>The text as Unicode scalar values.</returns>
    /// <exception cref="CorpusException">The bytes are not valid UTF-8 and <paramref name="options"/> asks for
    /// <see cref="InvalidUtf8Mode.Error"/>; the message names <paramref name="source"/>, the byte offset and line.</exception>
    public static int[] Decode(ReadOnlySpan<byte> utf8, CorpusOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        var output = new List<int>(utf8.Length);
        DecodeInto(output, utf8, options, source);
        return [.. output];
    }

    /// <summary>Decodes <paramref name="utf8"/> and appends its scalar values to <paramref name="output"/>.</summary>
    internal static void DecodeInto(List<int> output, ReadOnlySpan<byte> utf8, CorpusOptions options, string source)
    {
        int offset = utf8.StartsWith(Utf8ByteOrderMark) ? Utf8ByteOrderMark.Length : 0;
        while (offset < utf8.Length)
        {
            byte first = utf8[offset];
            int scalar;
            int consumed;
            if (first < 0x80)
            {
                scalar = first;
                consumed = 1;
            }
            else
            {
                OperationStatus status = Rune.DecodeFromUtf8(utf8[offset..], out Rune rune, out consumed);
                if (status != OperationStatus.Done)
                {
                    if (options.InvalidUtf8 == InvalidUtf8Mode.Error)
                    {
                        throw InvalidUtf8(utf8, offset, consumed, status == OperationStatus.NeedMoreData, source);
                    }

                    rune = Rune.ReplacementChar; // consumed = length of the maximal invalid subsequence
                }

                scalar = rune.Value;
            }

            offset += consumed;
            if (scalar == '\r' && options.NormalizeNewlines)
            {
                // CRLF keeps only its LF (appended on the next step); a lone CR becomes LF.
                if (offset < utf8.Length && utf8[offset] == '\n')
                {
                    continue;
                }

                scalar = '\n';
            }

            if (options.Lowercase)
            {
                scalar = ToLower(scalar);
            }

            output.Add(scalar);
        }
    }

    /// <summary>
    /// Applies <paramref name="options"/>' newline normalisation and lower-casing to text that is already
    /// decoded (a prompt typed on the command line, a string given to the library), the same way
    /// <see cref="Decode"/> applies them to bytes, so a model trained on lower-cased text reads "ROMEO:" as "romeo:".
    /// </summary>
    public static int[] Normalize(ReadOnlySpan<int> scalars, CorpusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var output = new List<int>(scalars.Length);
        for (int i = 0; i < scalars.Length; i++)
        {
            int scalar = scalars[i];
            if (scalar == '\r' && options.NormalizeNewlines)
            {
                if (i + 1 < scalars.Length && scalars[i + 1] == '\n') continue;
                scalar = '\n';
            }
            output.Add(options.Lowercase ? ToLower(scalar) : scalar);
        }
        return [.. output];
    }

    /// <summary>The byte offset of the first NUL byte, or -1: text files have none, binary files almost always do.</summary>
    internal static int IndexOfNul(ReadOnlySpan<byte> bytes) => bytes.IndexOf((byte)0);

    private static int ToLower(int scalar)
    {
        if (scalar < 0x80)
        {
            return scalar is >= 'A' and <= 'Z' ? scalar + ('a' - 'A') : scalar;
        }

        return Rune.ToLowerInvariant(new Rune(scalar)).Value;
    }

    private static CorpusException InvalidUtf8(ReadOnlySpan<byte> utf8, int offset, int invalidLength, bool cutShort, string source)
    {
        int line = 1 + utf8[..offset].Count((byte)'\n');
        ReadOnlySpan<byte> bad = utf8.Slice(offset, Math.Clamp(invalidLength, 1, utf8.Length - offset));
        string hex = Convert.ToHexString(bad);
        string spaced = string.Join(' ', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(2 * i, 2)));
        string what = cutShort ? "a UTF-8 sequence cut short by the end of the text" : "invalid UTF-8";
        return new CorpusException(
            $"{source}: {what} at byte offset {offset} (line {line}, bytes {spaced}). " +
            "The text must be UTF-8: convert it (for example `iconv -f latin1 -t utf-8`), " +
            "or pass --invalid-utf8 replace to read each invalid sequence as U+FFFD.");
    }
}
