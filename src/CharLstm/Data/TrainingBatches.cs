namespace CharLstm.Data;

/// <summary>
/// Training batches for truncated backpropagation through time, the char-rnn / torch-rnn way.
/// </summary>
/// <remarks>
/// <para>
/// The N training ids are cut into B contiguous streams of L = ⌊(N − 1) / B⌋ characters; stream b starts at b·L.
/// Batch k holds, for each row b, the T characters <c>stream_b[k·T .. k·T + T)</c> as inputs and the character
/// after each one as its target, laid out row-major as [B, T]. An epoch has ⌊L / T⌋ batches; the last few
/// characters of each stream that do not fill a window are not used.
/// </para>
/// <para>
/// Because row b of batch k + 1 continues exactly where row b of batch k stopped, the model should carry its
/// hidden and cell state from one batch to the next (cutting the gradient at the batch boundary: that is the
/// "truncated" in truncated BPTT), and reset it at the start of each epoch (<see cref="BatchCursor.Batch"/> = 0),
/// where every stream jumps back to its beginning.
/// </para>
/// </remarks>
public sealed class TrainingBatches
{
    private readonly EncodedCorpus _train;
    private BatchCursor _cursor;

    /// <summary>Prepares batches of <paramref name="batchSize"/> streams by <paramref name="sequenceLength"/> steps.</summary>
    /// <param name="train">The training ids.</param>
    /// <param name="batchSize">B, the number of parallel streams, at least 1.</param>
    /// <param name="sequenceLength">T, the steps per batch (the BPTT length), at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> or <paramref name="sequenceLength"/> is below 1.</exception>
    /// <exception cref="CorpusException">The text is shorter than one window of B×T + 1 characters.</exception>
    public TrainingBatches(EncodedCorpus train, int batchSize, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        long window = (long)batchSize * sequenceLength + 1;
        if (train.Length < window)
        {
            throw new CorpusException(
                $"The corpus of {train.Length:N0} character{(train.Length == 1 ? "" : "s")} is shorter than one training window of " +
                $"B×T+1 = {batchSize}×{sequenceLength}+1 = {window:N0} characters; use a smaller --batch or --seq-len.");
        }

        _train = train;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        StreamLength = (train.Length - 1) / batchSize;
        BatchesPerEpoch = StreamLength / sequenceLength;
    }

    /// <summary>B, the number of parallel streams (rows of a batch).</summary>
    public int BatchSize { get; }

    /// <summary>T, the steps per batch (columns of a batch).</summary>
    public int SequenceLength { get; }

    /// <summary>L = ⌊(N − 1) / B⌋, the characters in each stream.</summary>
    public int StreamLength { get; }

    /// <summary>⌊L / T⌋, at least 1.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>B·T, the length the input and target buffers must have.</summary>
    public int BatchElementCount => BatchSize * SequenceLength;

    /// <summary>
    /// The next batch <see cref="Next"/> will fill. Set it to a checkpoint's value to resume exactly.
    /// </summary>
    /// <exception cref="CorpusException">Set to a negative epoch, or a batch outside [0, <see cref="BatchesPerEpoch"/>)
    /// (the checkpoint was made with another corpus, batch size or sequence length).</exception>
    public BatchCursor Cursor
    {
        get => _cursor;
        set
        {
            if (value.Epoch < 0 || value.Batch < 0 || value.Batch >= BatchesPerEpoch)
            {
                throw new CorpusException(
                    $"Cannot resume at epoch {value.Epoch}, batch {value.Batch}: this corpus with B={BatchSize}, " +
                    $"T={SequenceLength} has batches 0 to {BatchesPerEpoch - 1}. Resume with the same corpus, --batch and --seq-len.");
            }

            _cursor = value;
        }
    }

    /// <summary>Fills the batch at <see cref="Cursor"/>, then advances the cursor (to the next epoch after the last batch).</summary>
    /// <param name="inputs">[B, T] row-major, receives the input ids.</param>
    /// <param name="targets">[B, T] row-major, receives the id following each input.</param>
    /// <returns>The position of the batch just filled; <c>Batch == 0</c> means a new epoch: reset the hidden state.</returns>
    /// <exception cref="ArgumentException">A buffer's length is not <see cref="BatchElementCount"/>.</exception>
    public BatchCursor Next(Span<int> inputs, Span<int> targets)
    {
        BatchCursor filled = _cursor;
        Fill(filled.Batch, inputs, targets);
        _cursor = filled.Batch + 1 == BatchesPerEpoch ? new BatchCursor(filled.Epoch + 1, 0) : filled with { Batch = filled.Batch + 1 };
        return filled;
    }

    /// <summary>Fills batch <paramref name="batchIndex"/> of an epoch; does not move the cursor.</summary>
    /// <param name="batchIndex">k in [0, <see cref="BatchesPerEpoch"/>).</param>
    /// <param name="inputs">[B, T] row-major: <c>inputs[b·T + t] = stream_b[k·T + t]</c>.</param>
    /// <param name="targets">[B, T] row-major: <c>targets[b·T + t] = stream_b[k·T + t + 1]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchIndex"/> is outside [0, <see cref="BatchesPerEpoch"/>).</exception>
    /// <exception cref="ArgumentException">A buffer's length is not <see cref="BatchElementCount"/>.</exception>
    public void Fill(int batchIndex, Span<int> inputs, Span<int> targets)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(batchIndex, BatchesPerEpoch);
        if (inputs.Length != BatchElementCount || targets.Length != BatchElementCount)
        {
            throw new ArgumentException(
                $"Input and target buffers must hold B×T = {BatchElementCount} ids; got {inputs.Length} and {targets.Length}.");
        }

        int t = SequenceLength;
        for (int row = 0; row < BatchSize; row++)
        {
            int start = row * StreamLength + batchIndex * t;
            _train.CopyTo(start, inputs.Slice(row * t, t));
            _train.CopyTo(start + 1, targets.Slice(row * t, t));
        }
    }
}
