using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CharLstm.IO;
using static CharLstm.Tests.IO.SafeTensorsTestFiles;

namespace CharLstm.Tests.IO;

public class SafeTensorsWriteTests
{
    [Fact]
    public void Round_trip_keeps_names_shapes_values_metadata_and_order()
    {
        (TensorEntry[] tensors, Dictionary<string, string> metadata) = Sample();

        SafeTensorsFile file = Read(Write(tensors, metadata));

        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        foreach (TensorEntry expected in tensors)
        {
            TensorEntry actual = file.Get(expected.Name);
            Assert.Equal(expected.Shape, actual.Shape);
            // Bitwise, so -0 and subnormals must survive too.
            Assert.Equal(expected.Data.Select(BitConverter.SingleToInt32Bits), actual.Data.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Round_trip_through_a_file()
    {
        (TensorEntry[] tensors, Dictionary<string, string> metadata) = Sample();
        string path = Path.Combine(Path.GetTempPath(), $"charlstm-{Guid.NewGuid():N}.safetensors");
        try
        {
            AtomicFile.Write(path, stream => SafeTensors.Write(stream, tensors, metadata));
            SafeTensorsFile file = SafeTensors.ReadFile(path);
            Assert.Equal(tensors[0].Data, file.Get("embedding.weight").Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Header_is_space_padded_json_object_so_data_starts_eight_byte_aligned()
    {
        (TensorEntry[] tensors, Dictionary<string, string> metadata) = Sample();
        byte[] bytes = Write(tensors, metadata);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0ul, headerLength % 8);
        byte[] header = bytes[8..(8 + (int)headerLength)];
        Assert.Equal((byte)'{', header[0]);
        int jsonEnd = Array.LastIndexOf(header, (byte)'}') + 1;
        Assert.All(header[jsonEnd..], b => Assert.Equal((byte)' ', b));
        Assert.True(header.Length - jsonEnd < 8);

        using JsonDocument json = JsonDocument.Parse(header);
        Assert.Equal(metadata, json.RootElement.GetProperty("__metadata__").Deserialize<Dictionary<string, string>>());
        long offset = 0;
        foreach (TensorEntry tensor in tensors)
        {
            JsonElement entry = json.RootElement.GetProperty(tensor.Name);
            Assert.Equal("F32", entry.GetProperty("dtype").GetString());
            Assert.Equal(tensor.Shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            long[] offsets = [.. entry.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64())];
            Assert.Equal([offset, offset + tensor.Data.Length * 4L], offsets);
            offset = offsets[1];
        }

        Assert.Equal(8 + (long)headerLength + offset, bytes.Length);
    }

    [Fact]
    public void Write_gives_the_expected_bytes_for_a_tiny_file()
    {
        byte[] bytes = Write([new("w", [2], [1f, -2f])], new Dictionary<string, string> { ["format"] = "pt" });

        const string json = """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        string header = json + new string(' ', (8 - json.Length % 8) % 8);
        byte[] expected = Build(header, Floats(1f, -2f));
        Assert.Equal(expected, bytes);
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0 }, bytes[^8..]);
    }

    [Fact]
    public void Write_is_deterministic_whatever_the_metadata_insertion_order()
    {
        (TensorEntry[] tensors, Dictionary<string, string> metadata) = Sample();
        var reversed = new Dictionary<string, string>(metadata.Reverse());

        Assert.Equal(Write(tensors, metadata), Write(tensors, reversed));
    }

    [Fact]
    public void Write_omits_empty_metadata_and_reads_it_back_as_empty()
    {
        byte[] bytes = Write([new("w", [1], [1f])], new Dictionary<string, string>());

        Assert.DoesNotContain("__metadata__", Encoding.UTF8.GetString(bytes));
        Assert.Empty(Read(bytes).Metadata);
    }

    [Fact]
    public void Write_of_no_tensors_is_a_valid_file()
    {
        SafeTensorsFile file = Read(Write([], new Dictionary<string, string> { ["k"] = "v" }));

        Assert.Empty(file.Tensors);
        Assert.Equal("v", file.Metadata["k"]);
    }

    public static TheoryData<string, TensorEntry[], string> InvalidWrites => new()
    {
        { "duplicate name", [new("w", [1], [1f]), new("w", [1], [2f])], "unique" },
        { "reserved name", [new("__metadata__", [1], [1f])], "reserves" },
        { "shape and data disagree", [new("w", [2, 3], new float[5])], "product of the shape" },
        { "negative dimension", [new("w", [-1], [])], "negative dimension" },
        { "NaN", [new("w", [2], [0f, float.NaN])], "element 1" },
        { "infinity", [new("w", [1], [float.PositiveInfinity])], "finite" },
        { "unpaired surrogate", [new("w\ud800", [1], [1f])], "surrogate" },
    };

    [Theory]
    [MemberData(nameof(InvalidWrites))]
    public void Write_rejects_tensors_the_reader_would_reject(string problem, TensorEntry[] tensors, string messagePart)
    {
        var e = Assert.Throws<ArgumentException>(() => Write(tensors, new Dictionary<string, string>()));
        Assert.True(e.Message.Contains(messagePart, StringComparison.Ordinal), $"{problem}: {e.Message}");
    }

    [Fact]
    public void Get_of_a_missing_tensor_throws_missing_tensor_naming_what_is_there()
    {
        SafeTensorsFile file = Read(Write([new("a", [1], [1f]), new("b", [1], [2f])], new Dictionary<string, string>()));

        var e = Assert.Throws<ModelFormatException>(() => file.Get("c"));

        Assert.Equal(ModelFormatError.MissingTensor, e.Error);
        Assert.Contains("no tensor named 'c'", e.Message);
        Assert.Contains("'a', 'b'", e.Message);
    }
}
