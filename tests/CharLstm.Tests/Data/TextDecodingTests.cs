using System.Text;
using CharLstm.Data;

namespace CharLstm.Tests.Data;

public class TextDecodingTests
{
    private static int[] Decode(byte[] bytes, CorpusOptions? options = null) =>
        TextDecoding.Decode(bytes, options ?? CorpusOptions.Default, "test.txt");

    private static int[] Decode(string text, CorpusOptions? options = null) => Decode(Encoding.UTF8.GetBytes(text), options);

    [Fact]
    public void Ascii_decodes_to_its_bytes()
    {
        Assert.Equal([(int)'h', 'i', '\n'], Decode("hi\n"));
    }

    [Fact]
    public void Characters_outside_the_bmp_are_one_character_each()
    {
        // U+1F600 (emoji) and U+20000 (CJK Extension B) are surrogate pairs in UTF-16, 4 bytes in UTF-8.
        string text = "a\U0001F600\U00020000é";
        Assert.Equal(6, text.Length); // UTF-16 code units
        Assert.Equal([(int)'a', 0x1F600, 0x20000, 0xE9], Decode(text));
        Assert.Equal([(int)'a', 0x1F600, 0x20000, 0xE9], TextScalars.FromString(text));
        Assert.Equal(text, TextScalars.ToText(Decode(text)));
    }

    [Fact]
    public void Leading_byte_order_mark_is_dropped()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'x', 0xEF, 0xBB, 0xBF];
        // Only the leading one: a BOM in the middle is the character U+FEFF.
        Assert.Equal([(int)'x', 0xFEFF], Decode(bytes));
    }

    [Fact]
    public void Invalid_utf8_names_source_offset_line_and_the_way_out()
    {
        byte[] bytes = [(byte)'a', (byte)'\n', (byte)'b', 0xC3, 0x28, (byte)'c'];
        var error = Assert.Throws<CorpusException>(() => Decode(bytes));
        Assert.Contains("test.txt", error.Message);
        Assert.Contains("byte offset 3", error.Message);
        Assert.Contains("line 2", error.Message);
        Assert.Contains("C3", error.Message);
        Assert.Contains("--invalid-utf8 replace", error.Message);
    }

    [Fact]
    public void Offset_counts_the_byte_order_mark()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, (byte)'a', 0xFF];
        var error = Assert.Throws<CorpusException>(() => Decode(bytes));
        Assert.Contains("byte offset 4", error.Message);
    }

    [Fact]
    public void Sequence_cut_short_at_the_end_is_invalid()
    {
        byte[] bytes = [(byte)'a', 0xF0, 0x9F, 0x98]; // first 3 bytes of U+1F600
        var error = Assert.Throws<CorpusException>(() => Decode(bytes));
        Assert.Contains("byte offset 1", error.Message);
        Assert.Contains("cut short", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })]             // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]       // UTF-8-encoded surrogate U+D800
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // above U+10FFFF
    [InlineData(new byte[] { 0x80 })]                   // lone continuation byte
    public void Non_shortest_forms_surrogates_and_out_of_range_are_rejected(byte[] bytes)
    {
        var error = Assert.Throws<CorpusException>(() => Decode(bytes));
        Assert.Contains("byte offset 0", error.Message);
    }

    [Fact]
    public void Replace_mode_substitutes_replacement_character()
    {
        byte[] bytes = [(byte)'a', 0xC3, 0x28, (byte)'b', 0xFF];
        var options = new CorpusOptions { InvalidUtf8 = InvalidUtf8Mode.Replace };
        Assert.Equal([(int)'a', 0xFFFD, '(', 'b', 0xFFFD], Decode(bytes, options));
    }

    [Fact]
    public void Lowercase_follows_unicode_simple_case_mapping()
    {
        var options = new CorpusOptions { Lowercase = true };
        Assert.Equal(TextScalars.FromString("hello, élan ωμέγα straße ǆ 𐐨!"), Decode("HeLLo, ÉLAN ΩΜΈΓΑ STRAßE ǅ 𐐀!", options));
    }

    [Fact]
    public void Crlf_is_kept_unless_newlines_are_normalized()
    {
        Assert.Equal(TextScalars.FromString("a\r\nb\rc\n"), Decode("a\r\nb\rc\n"));
        var options = new CorpusOptions { NormalizeNewlines = true };
        Assert.Equal(TextScalars.FromString("a\nb\nc\n\n\n"), Decode("a\r\nb\rc\n\r\r", options));
    }

    [Fact]
    public void Describe_is_printable()
    {
        Assert.Equal("'é' (U+00E9)", TextScalars.Describe(0xE9));
        Assert.Equal("'\\n' (U+000A)", TextScalars.Describe('\n'));
        Assert.Equal("'\U0001F600' (U+1F600)", TextScalars.Describe(0x1F600));
        Assert.Equal("U+200B", TextScalars.Describe(0x200B));
        Assert.Equal("U+0007", TextScalars.Describe(7));
    }

    [Fact]
    public void Lone_surrogates_in_strings_become_replacement_characters()
    {
        Assert.Equal([(int)'a', 0xFFFD, 'b'], TextScalars.FromString("a\uD800b"));
        Assert.Throws<ArgumentException>(() => TextScalars.ToText([0xD800]));
    }
}
