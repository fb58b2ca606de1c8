using System.Buffers.Binary;
using CharLstm.IO;
using static CharLstm.Tests.IO.SafeTensorsTestFiles;

namespace CharLstm.Tests.IO;

/// <summary>One test per way a file can be wrong: each asserts the error kind and that the message names the problem.</summary>
public class SafeTensorsReadTests
{
    private const string Vector2 = """{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""";

    [Fact]
    public void Empty()
    {
        var e = ReadFails([], ModelFormatError.Empty);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Too_short()
    {
        var e = ReadFails([1, 0, 0, 0, 0], ModelFormatError.TooShort);
        Assert.Contains("5 bytes", e.Message);
    }

    [Fact]
    public void Header_too_large_by_default_limit()
    {
        byte[] file = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 100_000_001);

        // Raising the limit is advice only when a JSON header does follow the length.
        var e = ReadFails(file, ModelFormatError.HeaderTooLarge);
        Assert.Contains("100,000,001", e.Message);
        Assert.DoesNotContain("MaxHeaderBytes", e.Message);
        file[8] = (byte)'{';
        e = ReadFails(file, ModelFormatError.HeaderTooLarge);
        Assert.Contains("MaxHeaderBytes", e.Message);
    }

    [Fact]
    public void Header_too_large_by_custom_limit_even_when_the_file_is_valid()
    {
        byte[] file = OneTensor(Vector2, Floats(1, 2));

        ReadFails(file, ModelFormatError.HeaderTooLarge, new SafeTensorsLimits { MaxHeaderBytes = 16 });
    }

    [Theory]
    [InlineData(100ul)]
    [InlineData(ulong.MaxValue)]
    [InlineData(long.MaxValue)]
    public void Header_past_end(ulong headerLength)
    {
        byte[] file = new byte[18];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength);

        var e = ReadFails(file, headerLength > 100_000_000 ? ModelFormatError.HeaderTooLarge : ModelFormatError.HeaderPastEnd);
        Assert.Contains(headerLength > 100_000_000 ? "limit" : "only 10 bytes follow", e.Message);
    }

    [Fact]
    public void Header_not_utf8()
    {
        byte[] header = [.. "{\"w"u8, 0xFF, .. "\":{}}"u8];

        var e = ReadFails(Build(header, []), ModelFormatError.HeaderNotUtf8);
        Assert.Contains("UTF-8", e.Message);
        Assert.Contains("0xFF at file byte 11", e.Message);
    }

    [Theory]
    [InlineData("""{"w": """)]
    [InlineData("""{"w":{"dtype":"F32",}}""")]
    [InlineData("""{'w':1}""")]
    [InlineData("""{"w":1} {}""")]
    [InlineData("")]
    [InlineData("""{"\ud800":{}}""")] // an escape that is not valid UTF-16
    public void Header_not_json(string header)
    {
        var e = ReadFails(Build(header, []), ModelFormatError.HeaderNotJson);
        Assert.Contains(header.Contains("ud800") ? "not valid text" : "not valid JSON", e.Message);
    }

    [Fact]
    public void Header_not_json_when_nested_too_deeply()
    {
        string header = "{\"__metadata__\":" + new string('[', 10_000) + new string(']', 10_000) + "}";

        ReadFails(Build(header, []), ModelFormatError.HeaderNotJson);
    }

    [Theory]
    [InlineData("[1,2]", "an array")]
    [InlineData("\"w\"", "a string")]
    [InlineData("   {}", "first byte")]
    public void Header_not_object(string header, string messagePart)
    {
        var e = ReadFails(Build(header, []), ModelFormatError.HeaderNotObject);
        Assert.Contains(messagePart, e.Message);
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}""", "w")]
    [InlineData("""{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"\u0077":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}""", "w")]
    [InlineData("""{"w":{"dtype":"F32","dtype":"F16","shape":[],"data_offsets":[0,4],"data_offsets":[4,8]}}""", "dtype")]
    [InlineData("""{"__metadata__":{"k":"a","k":"b"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "k")]
    [InlineData("""{"__metadata__":{},"__metadata__":{},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "__metadata__")]
    public void Duplicate_key(string header, string key)
    {
        var e = ReadFails(Build(header, Floats(1, 2)), ModelFormatError.DuplicateKey);
        Assert.Contains($"key '{key}' twice", e.Message);
    }

    public static TheoryData<string, string> BadEntries => new()
    {
        { "7", "a number, not an object" },
        { "[]", "an array, not an object" },
        { """{"shape":[2],"data_offsets":[0,8]}""", "no dtype" },
        { """{"dtype":"F32","data_offsets":[0,8]}""", "no shape" },
        { """{"dtype":"F32","shape":[2]}""", "no data_offsets" },
        { """{"dtype":32,"shape":[2],"data_offsets":[0,8]}""", "dtype that is a number" },
        { """{"dtype":"F32","shape":"2","data_offsets":[0,8]}""", "shape that is a string" },
        { """{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}""", "a string in its shape" },
        { """{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}""", "an array in its shape" },
        { """{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}""", "negative number -2 in its shape" },
        { """{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}""", "2.0 in its shape" },
        { """{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}""", "without a fraction or exponent" },
        { """{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}""", "3 data_offsets" },
        { """{"dtype":"F32","shape":[2],"data_offsets":{"begin":0}}""", "data_offsets that is an object" },
        { """{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}""", "negative number -8 in its data_offsets" },
        { """{"dtype":"F32","shape":[2],"data_offsets":[8,0]}""", "end before they begin" },
        { """{"dtype":"F32","shape":[2],"data_offsets":[0,8],"offsets":[0,8]}""", "unknown field 'offsets'" },
    };

    [Theory]
    [MemberData(nameof(BadEntries))]
    public void Bad_tensor_entry(string entry, string messagePart)
    {
        var e = ReadFails(OneTensor(entry, Floats(1, 2)), ModelFormatError.BadTensorEntry);
        Assert.Contains("'w'", e.Message);
        Assert.Contains(messagePart, e.Message);
    }

    [Theory]
    [InlineData("f32")]
    [InlineData("F31")]
    [InlineData("float32")]
    [InlineData("")]
    public void Unknown_dtype(string dtype)
    {
        var e = ReadFails(OneTensor($$"""{"dtype":"{{dtype}}","shape":[2],"data_offsets":[0,8]}""", Floats(1, 2)), ModelFormatError.UnknownDtype);
        Assert.Contains($"dtype \"{dtype}\", which is not a safetensors dtype", e.Message);
    }

    [Theory]
    [InlineData("F16", 4)]
    [InlineData("BF16", 4)]
    [InlineData("F64", 16)]
    [InlineData("I32", 8)]
    [InlineData("BOOL", 2)]
    [InlineData("F8_E4M3", 2)]
    public void Unsupported_dtype(string dtype, int byteLength)
    {
        var e = ReadFails(OneTensor($$"""{"dtype":"{{dtype}}","shape":[2],"data_offsets":[0,{{byteLength}}]}""", new byte[byteLength]),
            ModelFormatError.UnsupportedDtype);
        Assert.Contains($"dtype {dtype}, but only F32 tensors are read", e.Message);
    }

    [Theory]
    [InlineData("[4294967296,4294967296]", "overflows")]
    [InlineData("[3037000500,3037000500,0]", "overflows")]
    [InlineData("[99999999999999999999]", "too large for a 64-bit integer")]
    [InlineData("[2147483648]", "larger than one array can hold")]
    [InlineData("[0,4294967296]", "larger than one array can hold")]
    public void Shape_overflow(string shape, string messagePart)
    {
        var e = ReadFails(OneTensor($$"""{"dtype":"F32","shape":{{shape}},"data_offsets":[0,8]}""", Floats(1, 2)), ModelFormatError.ShapeOverflow);
        Assert.Contains(messagePart, e.Message);
    }

    [Fact]
    public void Byte_length_mismatch()
    {
        var e = ReadFails(OneTensor("""{"dtype":"F32","shape":[2],"data_offsets":[0,12]}""", Floats(1, 2, 3)), ModelFormatError.ByteLengthMismatch);
        Assert.Contains("takes 8 bytes, but its data_offsets [0, 12] span 12 bytes", e.Message);
    }

    [Fact]
    public void Offsets_overlap()
    {
        string header = $$"""{"a":{{Vector2}},"b":""" + """{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";

        var e = ReadFails(Build(header, Floats(1, 2, 3)), ModelFormatError.OffsetsOverlap);
        Assert.Contains("'b' has data_offsets [4, 12], which overlaps tensor 'a'", e.Message);
    }

    [Fact]
    public void Offsets_overlap_when_two_tensors_share_a_range()
    {
        string header = $$"""{"a":{{Vector2}},"b":{{Vector2}}}""";

        ReadFails(Build(header, Floats(1, 2)), ModelFormatError.OffsetsOverlap);
    }

    [Fact]
    public void Offsets_gap_before_the_first_tensor()
    {
        var e = ReadFails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[4,8]}""", Floats(1, 2)), ModelFormatError.OffsetsGap);
        Assert.Contains("must begin at 0", e.Message);
    }

    [Fact]
    public void Offsets_gap_between_tensors()
    {
        string header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";

        var e = ReadFails(Build(header, Floats(1, 2, 3)), ModelFormatError.OffsetsGap);
        Assert.Contains("4 bytes between tensor 'a'", e.Message);
    }

    [Theory]
    [InlineData("[2]", "[0,8]", 4)]
    [InlineData("[0]", "[9223372036854775807,9223372036854775807]", 0)]
    [InlineData("[0]", "[0,18446744073709551616]", 0)]
    public void Offsets_past_end(string shape, string offsets, int dataBytes)
    {
        var e = ReadFails(OneTensor($$"""{"dtype":"F32","shape":{{shape}},"data_offsets":{{offsets}}}""", new byte[dataBytes]),
            ModelFormatError.OffsetsPastEnd);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void Trailing_bytes()
    {
        var e = ReadFails(OneTensor("""{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", Floats(1, 2)), ModelFormatError.TrailingBytes);
        Assert.Contains("4 bytes follow the last tensor", e.Message);
    }

    [Fact]
    public void Trailing_bytes_with_no_tensors()
    {
        ReadFails(Build("{}", [0]), ModelFormatError.TrailingBytes);
    }

    [Theory]
    [InlineData("\"pt\"", "is a string; it must be an object")]
    [InlineData("[]", "is an array; it must be an object")]
    [InlineData("""{"epoch":12}""", "key 'epoch' has a number")]
    [InlineData("""{"k":null}""", "key 'k' has null")]
    [InlineData("""{"k":{"nested":"x"}}""", "key 'k' has an object")]
    public void Bad_metadata(string metadata, string messagePart)
    {
        string header = $$"""{"__metadata__":{{metadata}},"w":{{Vector2}}}""";

        var e = ReadFails(Build(header, Floats(1, 2)), ModelFormatError.BadMetadata);
        Assert.Contains(messagePart, e.Message);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Non_finite_value(float value, string shown)
    {
        float[] values = [0, 1, 2, 3, value, 5];
        var e = ReadFails(OneTensor("""{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}""", Floats(values)), ModelFormatError.NonFiniteValue);
        Assert.Contains($"tensor 'w' element 4 (index [1, 1]", e.Message);
        Assert.Contains($"is {shown}", e.Message);
    }

    [Fact]
    public void Too_many_tensors()
    {
        string header = """{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}""";
        byte[] file = Build(header, Floats(1, 2));

        Assert.Equal(2, Read(file, new SafeTensorsLimits { MaxTensorCount = 2 }).Tensors.Count);
        var e = ReadFails(file, ModelFormatError.TooManyTensors, new SafeTensorsLimits { MaxTensorCount = 1 });
        Assert.Contains("more than 1 tensors", e.Message);
        Assert.Contains("MaxTensorCount", e.Message);
    }

    [Fact]
    public void Io_when_the_stream_ends_before_the_stated_length()
    {
        byte[] file = OneTensor(Vector2, Floats(1, 2));
        using var stream = new ForwardOnlyStream(file[..^3]);

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.Read(stream, file.Length));

        Assert.Equal(ModelFormatError.Io, e.Error);
        Assert.Contains("stream ended", e.Message);
    }

    [Fact]
    public void Io_when_the_file_does_not_exist()
    {
        string path = Path.Combine(Path.GetTempPath(), $"charlstm-missing-{Guid.NewGuid():N}.safetensors");

        var e = Assert.Throws<ModelFormatException>(() => SafeTensors.ReadFile(path));

        Assert.Equal(ModelFormatError.Io, e.Error);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Read_file_names_the_path_in_format_errors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"charlstm-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, []);
        try
        {
            var e = Assert.Throws<ModelFormatException>(() => SafeTensors.ReadFile(path));
            Assert.Equal(ModelFormatError.Empty, e.Error);
            Assert.StartsWith($"Model file '{path}': ", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_rejects_a_length_longer_than_a_seekable_stream()
    {
        byte[] file = OneTensor(Vector2, Floats(1, 2));

        Assert.Throws<ArgumentOutOfRangeException>(() => SafeTensors.Read(new MemoryStream(file), file.Length + 1));
    }

    [Fact]
    public void Read_accepts_whitespace_padding_and_any_key_order_and_lists_tensors_in_file_order()
    {
        string header = """{"b":{"data_offsets":[4,12],"shape":[2],"dtype":"F32"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[12,12]}}""" + " \n\t\r";

        SafeTensorsFile file = Read(Build(header, Floats(1, 2, 3)));

        Assert.Equal(["a", "b", "e"], file.Tensors.Select(t => t.Name));
        Assert.Equal([2f, 3f], file.Get("b").Data);
        Assert.Empty(file.Get("e").Data);
        Assert.Equal([1f], file.Get("a").Data);
        Assert.Empty(file.Get("a").Shape);
    }

    [Fact]
    public void Read_leaves_the_stream_right_after_the_file()
    {
        byte[] file = OneTensor(Vector2, Floats(1, 2));
        using var stream = new MemoryStream([.. file, 42]);

        SafeTensors.Read(stream, file.Length);

        Assert.Equal(file.Length, stream.Position);
    }

    [Fact]
    public void Read_decodes_escaped_names_and_metadata()
    {
        string header = """{"__metadata__":{"v\u00e9":"line\nbreak \ud83d\ude00"},"\u0077":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

        SafeTensorsFile file = Read(Build(header, Floats(1, 2)));

        Assert.Equal("line\nbreak 😀", file.Metadata["vé"]);
        Assert.Equal([1f, 2f], file.Get("w").Data);
    }

    /// <summary>A stream that cannot seek, as from a pipe or network, so Read must trust the length it is given.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
