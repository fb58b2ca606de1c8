using CharLstm.Data;

namespace CharLstm.Tests.Data;

public class EncodedCorpusTests
{
    private static int[] Ids(int length, int vocabularySize) =>
        [.. Enumerable.Range(0, length).Select(i => (i * 7919) % vocabularySize)];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(256, 1)]
    [InlineData(257, 2)]
    [InlineData(65536, 2)]
    [InlineData(65537, 4)]
    public void Storage_is_the_narrowest_that_fits(int vocabularySize, int bytesPerId)
    {
        int[] ids = [.. Ids(1000, vocabularySize), vocabularySize - 1];
        EncodedCorpus encoded = EncodedCorpus.FromIds(ids, vocabularySize);
        Assert.Equal(bytesPerId, encoded.BytesPerId);
        Assert.Equal(ids, encoded.ToArray());
        Assert.Equal(vocabularySize - 1, encoded[^1]);
    }

    [Fact]
    public void Encodes_a_corpus()
    {
        var corpus = new Corpus("t", "test", new string('0', 64), TextScalars.FromString("abcab🙂"));
        var vocabulary = Vocabulary.Build(corpus.Scalars);
        EncodedCorpus encoded = EncodedCorpus.Encode(corpus, vocabulary);
        Assert.Equal([0, 1, 2, 0, 1, 3], encoded.ToArray());
        Assert.Equal(1, encoded.BytesPerId);
        Assert.Equal(4, encoded.VocabularySize);
    }

    [Fact]
    public void Rejects_ids_outside_the_vocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedCorpus.FromIds([0, 3], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedCorpus.FromIds([-1], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedCorpus.FromIds([0], 0));
    }

    [Fact]
    public void Slices_share_storage_and_check_bounds()
    {
        int[] ids = Ids(100, 300);
        EncodedCorpus encoded = EncodedCorpus.FromIds(ids, 300);
        EncodedCorpus slice = encoded.Slice(10, 50).Slice(5, 20);
        Assert.Equal(ids[15..35], slice.ToArray());
        Assert.Equal(ids[15], slice[0]);
        int[] part = new int[3];
        slice.CopyTo(17, part);
        Assert.Equal(ids[32..35], part);
        Assert.Throws<ArgumentOutOfRangeException>(() => slice.CopyTo(18, part));
        Assert.Throws<ArgumentOutOfRangeException>(() => slice[20]);
        Assert.Throws<ArgumentOutOfRangeException>(() => encoded.Slice(90, 11));
        Assert.Equal(0, encoded.Slice(100, 0).Length);
    }

    [Fact]
    public void Split_matches_nano_gpt_on_tiny_shakespeare_length()
    {
        EncodedCorpus encoded = EncodedCorpus.FromIds(new int[1_115_394], 65);
        (EncodedCorpus train, EncodedCorpus validation) = encoded.Split(0.1);
        Assert.Equal(1_003_854, train.Length);
        Assert.Equal(111_540, validation.Length);
    }

    [Fact]
    public void Split_takes_the_last_characters_for_validation()
    {
        int[] ids = Ids(10, 5);
        (EncodedCorpus train, EncodedCorpus validation) = EncodedCorpus.FromIds(ids, 5).Split(0.25);
        Assert.Equal(ids[..7], train.ToArray()); // floor(10 * 0.75) = 7
        Assert.Equal(ids[7..], validation.ToArray());
        Assert.True(validation.IsScorable);
    }

    [Fact]
    public void Split_of_zero_leaves_an_empty_unscorable_validation()
    {
        (EncodedCorpus train, EncodedCorpus validation) = EncodedCorpus.FromIds(Ids(10, 5), 5).Split(0);
        Assert.Equal(10, train.Length);
        Assert.Equal(0, validation.Length);
        Assert.False(validation.IsScorable);
        Assert.False(EncodedCorpus.FromIds([1], 5).IsScorable);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Split_rejects_fractions_outside_zero_to_one(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EncodedCorpus.FromIds(Ids(10, 5), 5).Split(fraction));
    }
}
