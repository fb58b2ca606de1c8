using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CharLstm.IO;

/// <summary>
/// Reads and writes the safetensors container format (https://github.com/huggingface/safetensors):
/// an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to its
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (plus an optional string-to-string <c>__metadata__</c>),
/// then the tensors' bytes, contiguous, little-endian and row-major. Only F32 tensors are written and read.
/// </summary>
public static partial class SafeTensors
{
    internal const string MetadataKey = "__metadata__";
    private const int Float32Size = sizeof(float);
    private const int PrefixSize = sizeof(ulong);

    /// <summary>
    /// Writes <paramref name="tensors"/> and <paramref name="metadata"/> as a safetensors file. The header is
    /// padded with spaces so the data starts 8-byte aligned; tensors are laid out in the order given and
    /// metadata keys in ordinal order, so the same input always gives the same bytes.
    /// </summary>
    /// <param name="destination">The stream to write to, from its current position. It is not flushed or closed.</param>
    /// <param name="tensors">The tensors, each with a unique name other than <c>__metadata__</c>.</param>
    /// <param name="metadata">String pairs stored in the header's <c>__metadata__</c>; omitted from the file when empty.</param>
    /// <exception cref="ArgumentNullException">An argument, a tensor, or one of its parts is null.</exception>
    /// <exception cref="ArgumentException">A name is repeated or reserved, a string is not valid UTF-16, a shape has a
    /// negative dimension or does not match its data length, or a value is NaN or infinite (the reader rejects those).</exception>
    public static void Write(Stream destination, IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        ValidateForWrite(tensors, metadata);

        byte[] header = BuildHeader(tensors, metadata);
        Span<byte> prefix = stackalloc byte[PrefixSize];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        destination.Write(prefix);
        destination.Write(header);
        foreach (TensorEntry tensor in tensors)
        {
            WriteLittleEndian(destination, tensor.Data);
        }
    }

    private static void ValidateForWrite(IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int t = 0; t < tensors.Count; t++)
        {
            TensorEntry tensor = tensors[t] ?? throw new ArgumentNullException(nameof(tensors), $"Tensor {t} is null.");
            if (tensor.Name is null || tensor.Shape is null || tensor.Data is null)
            {
                throw new ArgumentNullException(nameof(tensors), $"Tensor {t} has a null name, shape or data.");
            }

            string name = tensor.Name;
            RequireValidUtf16(name, nameof(tensors), $"the name of tensor {t}");
            if (name == MetadataKey)
            {
                throw new ArgumentException($"Tensor {t} is named '{MetadataKey}', which the format reserves for metadata; rename it.", nameof(tensors));
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"Two tensors are named '{name}'; names must be unique.", nameof(tensors));
            }

            long count = 1;
            foreach (int dimension in tensor.Shape)
            {
                if (dimension < 0)
                {
                    throw new ArgumentException($"Tensor '{name}' has a negative dimension in shape [{string.Join(", ", tensor.Shape)}].", nameof(tensors));
                }

                count = Math.Min(count * dimension, long.MaxValue / int.MaxValue); // saturates; only compared with an int below
            }

            if (count != tensor.Data.Length)
            {
                throw new ArgumentException(
                    $"Tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}] but {tensor.Data.Length} "
                        + $"values; the product of the shape must equal the data length.",
                    nameof(tensors));
            }

            int bad = IndexOfNonFinite(tensor.Data);
            if (bad >= 0)
            {
                throw new ArgumentException(
                    $"Tensor '{name}' element {bad} is {NonFiniteName(tensor.Data[bad])}; a "
                        + $"model file must hold only finite values (the model has probably diverged).",
                    nameof(tensors));
            }
        }

        foreach ((string key, string value) in metadata)
        {
            if (key is null || value is null)
            {
                throw new ArgumentNullException(nameof(metadata), "A metadata key or value is null.");
            }

            RequireValidUtf16(key, nameof(metadata), $"metadata key '{key}'");
            RequireValidUtf16(value, nameof(metadata), $"the value of metadata key '{key}'");
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII vocabulary readable in the header; the header is never embedded in HTML.
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach ((string key, string value) in metadata.OrderBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (TensorEntry tensor in tensors)
            {
                long end = checked(offset + (long)tensor.Data.Length * Float32Size);
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        // Pad with spaces (allowed by the format) so the data section starts 8-byte aligned, as the reference writer does.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteLittleEndian(Stream destination, float[] data)
    {
        if (BitConverter.IsLittleEndian)
        {
            destination.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            return;
        }

        byte[] chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int perChunk = chunk.Length / Float32Size;
            for (int start = 0; start < data.Length; start += perChunk)
            {
                int count = Math.Min(perChunk, data.Length - start);
                for (int i = 0; i < count; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * Float32Size), data[start + i]);
                }

                destination.Write(chunk, 0, count * Float32Size);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string NonFiniteName(float value) =>
        float.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";

    private static void RequireValidUtf16(string text, string parameterName, string what)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw new ArgumentException($"{what} has an unpaired surrogate at index {i}, which UTF-8 cannot encode.", parameterName);
            }
        }
    }
}
