using CharLstm.Data;

namespace CharLstm.Tests.Data;

public class VocabularyTests
{
    private static readonly Vocabulary Sample = Vocabulary.Build(TextScalars.FromString("hello, wörld 🙂\n"));

    [Fact]
    public void Build_sorts_distinct_scalars_by_value()
    {
        Assert.Equal(TextScalars.FromString("\n ,dehlorwö🙂"), Sample.Scalars.ToArray());
        Assert.Equal(12, Sample.Size);
        Assert.Equal('\n', Sample[0]);
        Assert.Equal(0x1F600 + 0x42, Sample[11]); // 🙂 is U+1F642
    }

    [Fact]
    public void Encode_decode_round_trip()
    {
        string text = "wörld, hello 🙂";
        int[] ids = Sample.Encode(TextScalars.FromString(text));
        Assert.Equal(TextScalars.FromString(text).Length, ids.Length);
        Assert.All(ids, id => Assert.InRange(id, 0, Sample.Size - 1));
        Assert.Equal(text, Sample.Decode(ids));
        Assert.True(Sample.TryGetId('w', out int w));
        Assert.Equal('w', Sample[w]);
        Assert.False(Sample.TryGetId('x', out int missing));
        Assert.Equal(-1, missing);
    }

    [Fact]
    public void Unknown_characters_are_listed_printably()
    {
        int[] text = TextScalars.FromString("héllo\t€é");
        var error = Assert.Throws<CorpusException>(() => Sample.Encode(text));
        Assert.Contains("3 characters", error.Message);
        Assert.Contains("'\\t' (U+0009), 'é' (U+00E9), '€' (U+20AC)", error.Message);

        int[] ids = Sample.Encode(text, UnknownMode.Skip, out int[] unknown);
        Assert.Equal("hllo", Sample.Decode(ids));
        Assert.Equal([9, 0xE9, 0x20AC], unknown);

        Sample.Encode(TextScalars.FromString("hello"), UnknownMode.Error, out unknown);
        Assert.Empty(unknown);
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample.Decode([0, Sample.Size]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sample.Decode([-1]));
    }

    [Fact]
    public void Strings_round_trip_with_one_scalar_each()
    {
        string[] strings = Sample.ToStrings();
        Assert.Equal(Sample.Size, strings.Length);
        Assert.Equal("🙂", strings[^1]); // two UTF-16 units, one character
        Vocabulary back = Vocabulary.FromStrings(strings);
        Assert.Equal(Sample.Scalars.ToArray(), back.Scalars.ToArray());
    }

    [Theory]
    [InlineData(new[] { "a", "ab" }, "entry 1 (\"ab\") has 2 characters")]
    [InlineData(new[] { "", "a" }, "entry 0 (\"\") is empty")]
    [InlineData(new[] { "a", "b", "a" }, "entry 2 'a' (U+0061) repeats entry 0")]
    [InlineData(new[] { "a", "c", "b" }, "entry 2 'b' (U+0062) comes after entry 1 'c' (U+0063)", "ascending")]
    [InlineData(new string[0], "empty")]
    public void From_strings_explains_what_is_wrong(string[] entries, string expected, string? alsoExpected = null)
    {
        var error = Assert.Throws<CorpusException>(() => Vocabulary.FromStrings(entries));
        Assert.Contains("Invalid vocabulary", error.Message);
        Assert.Contains(expected, error.Message);
        if (alsoExpected is not null)
        {
            Assert.Contains(alsoExpected, error.Message);
        }
    }

    [Fact]
    public void From_strings_rejects_lone_surrogates()
    {
        // Not an InlineData: attribute blobs are UTF-8 and cannot carry a lone surrogate.
        var error = Assert.Throws<CorpusException>(() => Vocabulary.FromStrings(["a", "\uD83D"]));
        Assert.Contains("entry 1", error.Message);
        Assert.Contains("lone UTF-16 surrogate", error.Message);
    }

    [Fact]
    public void Build_rejects_empty_text_and_non_scalars()
    {
        Assert.Throws<ArgumentException>(() => Vocabulary.Build([]));
        Assert.Throws<ArgumentException>(() => Vocabulary.Build(['a', 0xD800]));
        Assert.Throws<ArgumentException>(() => Vocabulary.Build([0x110000]));
    }
}
