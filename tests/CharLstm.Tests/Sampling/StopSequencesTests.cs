namespace CharLstm.Tests.Sampling;

/// <summary>Stop sequences cut streamed text exactly where a whole-text search would, whatever the pieces.</summary>
public sealed class StopSequencesTests
{
    // What streaming through StopSequences gives, joined.
    private static string Stream(IEnumerable<string> pieces, params string[] stops)
    {
        var s = new StopSequences(stops);
        var sb = new System.Text.StringBuilder();
        foreach (string piece in pieces)
        {
            sb.Append(s.Push(piece));
            if (s.Stopped) return sb.ToString();
        }
        return sb.Append(s.Flush()).ToString();
    }

    // The same cut made on the whole text at once: before the first stop to be completed, reading from the start
    // (of stops completed by the same character, the longest).
    private static string Whole(string text, params string[] stops)
    {
        for (int end = 1; end <= text.Length; end++)
            if (stops.Where(s => text.AsSpan(0, end).EndsWith(s)).OrderByDescending(s => s.Length).FirstOrDefault() is { } stop)
                return text[..(end - stop.Length)];
        return text;
    }

    [Theory]
    [InlineData("hello world. more", new[] { "." })]
    [InlineData("abababc", new[] { "abc" })]
    [InlineData("aab", new[] { "ab", "aab" })]
    [InlineData("acbcb", new[] { "b", "cbc" })]
    [InlineData("no stop here", new[] { "xyz" })]
    [InlineData("ends with a partial st", new[] { "stop" })]
    [InlineData("line one\nline two", new[] { "\n", "two" })]
    [InlineData("🙂 face 🙂🙃", new[] { "🙂🙃" })]
    public void Streaming_one_character_at_a_time_cuts_where_the_whole_text_does(string text, string[] stops)
    {
        var pieces = System.Globalization.StringInfo.GetTextElementEnumerator(text);
        var list = new List<string>();
        while (pieces.MoveNext()) list.Add((string)pieces.Current);
        Assert.Equal(Whole(text, stops), Stream(list, stops));
        Assert.Equal(Whole(text, stops), Stream([text], stops)); // one piece
    }

    [Fact]
    public void Random_texts_and_pieces_agree_with_the_whole_text_cut()
    {
        var rng = new CharLstm.Numerics.Rng(11);
        for (int trial = 0; trial < 2000; trial++)
        {
            string text = new([.. Enumerable.Range(0, rng.NextInt(30)).Select(_ => "abc"[rng.NextInt(3)])]);
            string[] stops = [.. Enumerable.Range(0, 1 + rng.NextInt(3)).Select(_ => new string([.. Enumerable.Range(0, 1 + rng.NextInt(3)).Select(_ => "abc"[rng.NextInt(3)])]))];
            var pieces = new List<string>();
            for (int i = 0; i < text.Length;)
            {
                int n = Math.Min(text.Length - i, 1 + rng.NextInt(4));
                pieces.Add(text.Substring(i, n));
                i += n;
            }
            Assert.True(Whole(text, stops) == Stream(pieces, stops), $"text '{text}', pieces [{string.Join(", ", pieces)}], stops [{string.Join(", ", stops)}]: '{Stream(pieces, stops)}'");
        }
    }

    [Fact]
    public void Text_is_held_back_only_while_it_could_still_start_a_stop()
    {
        var s = new StopSequences(["END"]);
        Assert.Equal("ab", s.Push("abE"));
        Assert.Equal("", s.Push("N"));
        Assert.Equal("ENx", s.Push("x")); // "ENx" can no longer become "END"
        Assert.Equal("", s.Push("END"));
        Assert.True(s.Stopped);
        Assert.Equal("", s.Push("more"));
        Assert.Equal("", s.Flush());
    }

    [Fact]
    public void An_empty_stop_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new StopSequences(["a", ""]));
    }
}
