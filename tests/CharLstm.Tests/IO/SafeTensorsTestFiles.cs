using System.Buffers.Binary;
using System.Text;
using CharLstm.IO;

namespace CharLstm.Tests.IO;

/// <summary>Builds safetensors files byte by byte, so tests can state exactly what is wrong with one.</summary>
internal static class SafeTensorsTestFiles
{
    /// <summary>A file whose header is <paramref name="headerJson"/> as written (no padding), followed by <paramref name="data"/>.</summary>
    public static byte[] Build(string headerJson, byte[] data) => Build(Encoding.UTF8.GetBytes(headerJson), data);

    public static byte[] Build(byte[] header, byte[] data)
    {
        byte[] file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    public static byte[] Floats(params float[] values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>A header with one F32 tensor 'w' whose entry is <paramref name="entryJson"/>.</summary>
    public static byte[] OneTensor(string entryJson, byte[] data) => Build($$"""{"w":{{entryJson}}}""", data);

    public static SafeTensorsFile Read(byte[] file, SafeTensorsLimits? limits = null) =>
        SafeTensors.Read(new MemoryStream(file), file.Length, limits);

    /// <summary>Asserts that reading fails with <paramref name="expected"/> and returns the exception for message checks.</summary>
    public static ModelFormatException ReadFails(byte[] file, ModelFormatError expected, SafeTensorsLimits? limits = null)
    {
        var e = Assert.Throws<ModelFormatException>(() => Read(file, limits));
        Assert.True(expected == e.Error, $"expected {expected} but got {e.Error}: {e.Message}");
        return e;
    }

    public static byte[] Write(IReadOnlyList<TensorEntry> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>A small valid file: metadata, a matrix, a vector, a scalar and an empty tensor.</summary>
    public static (TensorEntry[] Tensors, Dictionary<string, string> Metadata) Sample()
    {
        TensorEntry[] tensors =
        [
            new("embedding.weight", [3, 4], [.. Enumerable.Range(0, 12).Select(i => i * 0.25f - 1.5f)]),
            new("lstm.0.bias", [5], [1e-30f, -0f, float.MaxValue, float.MinValue, float.Epsilon]),
            new("temperature", [], [0.7f]),
            new("unused", [0, 7], []),
        ];
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "charlstm",
            ["vocabulary"] = "ab\n\"\\é😀",
        };
        return (tensors, metadata);
    }
}
