using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace CharLstm.IO;

/// <summary>
/// Parses a safetensors JSON header in two passes over the bytes: the first checks UTF-8, JSON syntax and
/// duplicate keys at every level (JsonDocument would silently keep the last duplicate); the second reads
/// the now well-formed tokens into tensor entries and metadata, checking each field's type and value.
/// </summary>
internal static class HeaderParser
{
    private const int HeaderStart = 8; // file offset of header byte 0, used to report file positions

    public static (Dictionary<string, string> Metadata, List<HeaderTensor> Tensors) Parse(
        byte[] header, SafeTensorsLimits limits, string source)
    {
        CheckUtf8(header, source);
        CheckSyntaxAndDuplicates(header, source);
        return ReadEntries(header, limits, source);
    }

    private static void CheckUtf8(byte[] header, string source)
    {
        if (Utf8.IsValid(header))
        {
            return;
        }

        int offset = 0;
        while (Rune.DecodeFromUtf8(header.AsSpan(offset), out _, out int consumed) == System.Buffers.OperationStatus.Done)
        {
            offset += consumed;
        }

        throw Fail(source, ModelFormatError.HeaderNotUtf8,
            $"the header is not valid UTF-8: byte 0x{header[offset]:X2} at file byte {HeaderStart + offset:N0} does not start or continue a character");
    }

    private static void CheckSyntaxAndDuplicates(byte[] header, string source)
    {
        var reader = new Utf8JsonReader(header);
        // One key set per open object, null for arrays.
        var openKeys = new Stack<HashSet<string>?>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        openKeys.Push(new HashSet<string>(StringComparer.Ordinal));
                        break;
                    case JsonTokenType.StartArray:
                        openKeys.Push(null);
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        openKeys.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        string key = reader.GetString()!;
                        if (!openKeys.Peek()!.Add(key))
                        {
                            throw Fail(source, ModelFormatError.DuplicateKey,
                                $"the header has the key '{key}' twice in the same object (second at file byte {HeaderStart + reader.TokenStartIndex:N0}); "
                                    + $"readers would disagree on which one counts");
                        }

                        break;
                    case JsonTokenType.String:
                        reader.GetString(); // rejects escapes that decode to unpaired surrogates
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw Fail(source, ModelFormatError.HeaderNotJson,
                $"the header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {ErrorText.Reason(e)})", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this for escapes such as "\ud800" that are not valid UTF-16.
            throw Fail(source, ModelFormatError.HeaderNotJson,
                $"the header has a string near file byte {HeaderStart + reader.TokenStartIndex:N0} that is not valid text ({e.Message})", e);
        }
    }

    private static (Dictionary<string, string>, List<HeaderTensor>) ReadEntries(byte[] header, SafeTensorsLimits limits, string source)
    {
        var reader = new Utf8JsonReader(header);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject || header[0] != (byte)'{')
        {
            throw Fail(source, ModelFormatError.HeaderNotObject,
                reader.TokenType != JsonTokenType.StartObject
                    ? $"the header is {Describe(reader.TokenType)}, not a JSON object of tensor entries"
                    : "the header starts with whitespace; the format requires its first byte to be '{'");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<HeaderTensor>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            long keyOffset = HeaderStart + reader.TokenStartIndex;
            string key = reader.GetString()!;
            reader.Read();
            if (key == SafeTensors.MetadataKey)
            {
                ReadMetadata(ref reader, metadata, source);
                continue;
            }

            if (tensors.Count == limits.MaxTensorCount)
            {
                throw Fail(source, ModelFormatError.TooManyTensors,
                    $"the header lists more than {limits.MaxTensorCount:N0} tensors (tensor '{key}' at file byte {keyOffset:N0} is one too many)",
                    "If the file is damaged, restore it from a backup; if you trust it, raise SafeTensorsLimits.MaxTensorCount.");
            }

            tensors.Add(ReadTensor(ref reader, key, keyOffset, tensors.Count, source));
        }

        return (metadata, tensors);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Fail(source, ModelFormatError.BadMetadata,
                $"__metadata__ at file byte {HeaderStart + reader.TokenStartIndex:N0} is {Describe(reader.TokenType)}; "
                    + $"it must be an object mapping strings to strings");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Fail(source, ModelFormatError.BadMetadata,
                    $"__metadata__ key '{key}' has {Describe(reader.TokenType)} at file byte {HeaderStart + reader.TokenStartIndex:N0}; "
                        + $"metadata values must be strings (write \"12\", not 12)");
            }

            metadata.Add(key, reader.GetString()!);
        }
    }

    private static HeaderTensor ReadTensor(ref Utf8JsonReader reader, string name, long keyOffset, int headerIndex, string source)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw BadEntry(source, $"the entry for tensor '{name}' (file byte {keyOffset:N0}) is {Describe(reader.TokenType)}, "
                + $"not an object with dtype, shape and data_offsets");
        }

        string? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string field = reader.GetString()!;
            long fieldOffset = HeaderStart + reader.TokenStartIndex;
            reader.Read();
            switch (field)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw BadEntry(source, $"tensor '{name}' has a dtype that is {Describe(reader.TokenType)} (file byte {fieldOffset:N0}); "
                            + $"it must be a string such as \"F32\"");
                    }

                    dtype = reader.GetString()!;
                    break;
                case "shape":
                    shape = ReadNaturals(ref reader, name, field, fieldOffset, ModelFormatError.ShapeOverflow, source);
                    break;
                case "data_offsets":
                    offsets = ReadNaturals(ref reader, name, field, fieldOffset, ModelFormatError.OffsetsPastEnd, source);
                    if (offsets.Count != 2)
                    {
                        throw BadEntry(source, $"tensor '{name}' has {offsets.Count} data_offsets (file byte {fieldOffset:N0}); "
                            + $"it must have two, [begin, end]");
                    }

                    break;
                default:
                    throw BadEntry(source, $"tensor '{name}' has an unknown field '{field}' (file byte {fieldOffset:N0}); "
                        + $"entries hold only dtype, shape and data_offsets");
            }
        }

        string? missing = dtype is null ? "dtype" : shape is null ? "shape" : offsets is null ? "data_offsets" : null;
        if (missing is not null)
        {
            throw BadEntry(source, $"tensor '{name}' (file byte {keyOffset:N0}) has no {missing} field");
        }

        if (dtype != "F32")
        {
            throw SafeTensorsDtypes.IsKnown(dtype!)
                ? Fail(source, ModelFormatError.UnsupportedDtype,
                    $"tensor '{name}' has dtype {dtype}, but only F32 tensors are read",
                    "Convert the tensors to float32 before saving (in PyTorch: {k: v.float() for k, v in state_dict.items()}).")
                : Fail(source, ModelFormatError.UnknownDtype,
                    $"tensor '{name}' has dtype \"{dtype}\", which is not a safetensors dtype ({string.Join(", ", SafeTensorsDtypes.Names)})");
        }

        string shapeText = $"[{string.Join(", ", shape!)}]";
        long count = 1;
        try
        {
            foreach (long dimension in shape!)
            {
                count = checked(count * dimension);
            }
        }
        catch (OverflowException)
        {
            throw Fail(source, ModelFormatError.ShapeOverflow, $"tensor '{name}' has shape {shapeText}, whose element count overflows a 64-bit integer");
        }

        if (count > Array.MaxLength || shape!.Any(dimension => dimension > int.MaxValue))
        {
            throw Fail(source, ModelFormatError.ShapeOverflow,
                $"tensor '{name}' has shape {shapeText}, larger than one array can hold ({Array.MaxLength:N0} elements, dimensions up to {int.MaxValue:N0})");
        }

        long begin = offsets![0];
        long end = offsets[1];
        if (end < begin)
        {
            throw BadEntry(source, $"tensor '{name}' has data_offsets [{begin}, {end}], which end before they begin");
        }

        long byteLength = count * sizeof(float);
        if (end - begin != byteLength)
        {
            throw Fail(source, ModelFormatError.ByteLengthMismatch,
                $"tensor '{name}' has shape {shapeText} of F32, which takes {byteLength:N0} bytes, but its data_offsets [{begin}, {end}] "
                    + $"span {end - begin:N0} bytes");
        }

        int[] dimensions = shape!.Select(dimension => (int)dimension).ToArray();
        return new HeaderTensor(name, dimensions, (int)count, begin, end, headerIndex);
    }

    /// <summary>Reads an array of non-negative JSON integers, rejecting fractions, exponents and signs like serde's usize does.</summary>
    private static List<long> ReadNaturals(
        ref Utf8JsonReader reader, string name, string field, long fieldOffset, ModelFormatError overflowError, string source)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw BadEntry(source, $"tensor '{name}' has a {field} that is {Describe(reader.TokenType)} (file byte {fieldOffset:N0}); "
                + $"it must be an array of integers");
        }

        var values = new List<long>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            long elementOffset = HeaderStart + reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw BadEntry(source, $"tensor '{name}' has {Describe(reader.TokenType)} in its {field} (file byte {elementOffset:N0}); "
                    + $"it must hold only integers");
            }

            ReadOnlySpan<byte> digits = reader.ValueSpan; // number tokens are never escaped or split
            string text = Encoding.ASCII.GetString(digits.Length > 32 ? digits[..32] : digits) + (digits.Length > 32 ? "..." : "");
            if (digits[0] == (byte)'-')
            {
                throw BadEntry(source, $"tensor '{name}' has a negative number {text} in its {field} (file byte {elementOffset:N0})");
            }

            if (digits.IndexOfAny(".eE"u8) >= 0)
            {
                throw BadEntry(source, $"tensor '{name}' has {text} in its {field} (file byte {elementOffset:N0}); "
                    + $"it must be a whole number without a fraction or exponent");
            }

            if (!reader.TryGetInt64(out long value))
            {
                throw Fail(source, overflowError, $"tensor '{name}' has {text} in its {field} (file byte {elementOffset:N0}), too large for a 64-bit integer");
            }

            values.Add(value);
        }

        return values;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static ModelFormatException BadEntry(string source, string what) =>
        Fail(source, ModelFormatError.BadTensorEntry, what);

    private static ModelFormatException Fail(string source, ModelFormatError error, string what, Exception inner) =>
        FormatFailure.Create(source, error, what, inner: inner);

    private static ModelFormatException Fail(string source, ModelFormatError error, string what, string advice = FormatFailure.DamagedAdvice) =>
        FormatFailure.Create(source, error, what, advice);
}
