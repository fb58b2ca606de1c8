namespace CharLstm.Data;

/// <summary>
/// A corpus as vocabulary ids, held compactly: one byte per character when the vocabulary has at most 256
/// characters, two when at most 65,536, else four. Slices share the storage.
/// </summary>
public sealed class EncodedCorpus
{
    /// <summary>
    /// The fewest characters a text needs to be scored: one input and the next character as its target.
    /// A validation split shorter than this (including the empty split of fraction 0) cannot be evaluated.
    /// </summary>
    public const int MinimumScorableLength = 2;

    private readonly byte[]? _bytes;
    private readonly ushort[]? _ushorts;
    private readonly int[]? _ints;
    private readonly int _offset;

    private EncodedCorpus(byte[]? bytes, ushort[]? ushorts, int[]? ints, int offset, int length, int vocabularySize)
    {
        (_bytes, _ushorts, _ints, _offset) = (bytes, ushorts, ints, offset);
        (Length, VocabularySize) = (length, vocabularySize);
    }

    /// <summary>The number of characters.</summary>
    public int Length { get; }

    /// <summary>The size of the vocabulary the ids index; every id is below it.</summary>
    public int VocabularySize { get; }

    /// <summary>Bytes of storage per character: 1, 2 or 4.</summary>
    public int BytesPerId => _bytes is not null ? 1 : _ushorts is not null ? 2 : 4;

    /// <summary>Whether this text is long enough to be scored (see <see cref="MinimumScorableLength"/>).</summary>
    public bool IsScorable => Length >= MinimumScorableLength;

    /// <summary>The id at <paramref name="index"/>.</summary>
    /// <param name="index">A position in [0, <see cref="Length"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Length"/>).</exception>
    public int this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Length, nameof(index));
            int at = _offset + index;
            return _bytes is not null ? _bytes[at] : _ushorts is not null ? _ushorts[at] : _ints![at];
        }
    }

    /// <summary>Encodes a corpus with a vocabulary that has all its characters.</summary>
    /// <param name="corpus">The corpus.</param>
    /// <param name="vocabulary">The vocabulary, usually <see cref="Vocabulary.Build"/> of the same corpus.</param>
    /// <returns>The encoded corpus.</returns>
    /// <exception cref="CorpusException">The corpus has characters the vocabulary lacks; the message lists them.</exception>
    public static EncodedCorpus Encode(Corpus corpus, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        return FromIds(vocabulary.Encode(corpus.Scalars), vocabulary.Size);
    }

    /// <summary>Stores ids compactly.</summary>
    /// <param name="ids">Ids in [0, <paramref name="vocabularySize"/>).</param>
    /// <param name="vocabularySize">The vocabulary size, at least 1; it chooses the storage width.</param>
    /// <returns>The encoded corpus.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabularySize"/> is below 1, or an id is outside
    /// [0, <paramref name="vocabularySize"/>).</exception>
    public static EncodedCorpus FromIds(ReadOnlySpan<int> ids, int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Id at index {i} is outside [0, {vocabularySize}).");
            }
        }

        if (vocabularySize <= byte.MaxValue + 1)
        {
            byte[] bytes = new byte[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                bytes[i] = (byte)ids[i];
            }

            return new EncodedCorpus(bytes, null, null, 0, ids.Length, vocabularySize);
        }

        if (vocabularySize <= ushort.MaxValue + 1)
        {
            ushort[] ushorts = new ushort[ids.Length];
            for (int i = 0; i < ids.Length; i++)
            {
                ushorts[i] = (ushort)ids[i];
            }

            return new EncodedCorpus(null, ushorts, null, 0, ids.Length, vocabularySize);
        }

        return new EncodedCorpus(null, null, ids.ToArray(), 0, ids.Length, vocabularySize);
    }

    /// <summary>A view of <paramref name="length"/> characters from <paramref name="start"/>, sharing storage.</summary>
    /// <param name="start">The first character.</param>
    /// <param name="length">How many characters.</param>
    /// <returns>The slice.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside [0, <see cref="Length"/>].</exception>
    public EncodedCorpus Slice(int start, int length)
    {
        CheckRange(start, length);
        return new EncodedCorpus(_bytes, _ushorts, _ints, _offset + start, length, VocabularySize);
    }

    /// <summary>Copies <c>destination.Length</c> ids starting at <paramref name="start"/> into <paramref name="destination"/>.</summary>
    /// <param name="start">The first character.</param>
    /// <param name="destination">Where the ids go; its length is the count.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside [0, <see cref="Length"/>].</exception>
    public void CopyTo(int start, Span<int> destination)
    {
        CheckRange(start, destination.Length);
        int from = _offset + start;
        if (_bytes is not null)
        {
            ReadOnlySpan<byte> source = _bytes.AsSpan(from, destination.Length);
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = source[i];
            }
        }
        else if (_ushorts is not null)
        {
            ReadOnlySpan<ushort> source = _ushorts.AsSpan(from, destination.Length);
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = source[i];
            }
        }
        else
        {
            _ints.AsSpan(from, destination.Length).CopyTo(destination);
        }
    }

    /// <summary>All ids as a new array.</summary>
    /// <returns>A new array of <see cref="Length"/> ids.</returns>
    public int[] ToArray()
    {
        int[] ids = new int[Length];
        CopyTo(0, ids);
        return ids;
    }

    /// <summary>
    /// Splits into training and validation text the way nanoGPT does: the first ⌊N·(1 − f)⌋ characters train
    /// and the last ones validate (for Tiny Shakespeare and f = 0.1: 1,003,854 and 111,540).
    /// </summary>
    /// <param name="validationFraction">f in [0, 1). With 0 the validation part is empty; check
    /// <see cref="IsScorable"/> before evaluating it, since it needs at least <see cref="MinimumScorableLength"/> characters.</param>
    /// <returns>The two parts, sharing storage with this one.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validationFraction"/> is not in [0, 1).</exception>
    public (EncodedCorpus Train, EncodedCorpus Validation) Split(double validationFraction)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Must be at least 0 and below 1.");
        }

        // nanoGPT: train_data = data[:int(n*0.9)]; 1.0 - 0.1 is exactly the double 0.9.
        int trainLength = (int)Math.Floor(Length * (1.0 - validationFraction));
        return (Slice(0, trainLength), Slice(trainLength, Length - trainLength));
    }

    private void CheckRange(int start, int length)
    {
        if (start < 0 || length < 0 || start > Length - length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(start), $"Range [{start}, {(long)start + length}) is not inside [0, {Length}).");
        }
    }
}
