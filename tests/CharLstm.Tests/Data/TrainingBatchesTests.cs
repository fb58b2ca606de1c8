using CharLstm.Data;

namespace CharLstm.Tests.Data;

public class TrainingBatchesTests
{
    // ids 0..N-1 (vocabulary N), so every id says where it came from.
    private static EncodedCorpus Counting(int length) =>
        EncodedCorpus.FromIds([.. Enumerable.Range(0, length)], length);

    [Fact]
    public void Batches_cut_the_text_into_contiguous_streams()
    {
        // N = 23, B = 2, T = 3: L = (23 - 1) / 2 = 11, streams start at 0 and 11, 11 / 3 = 3 batches.
        var batches = new TrainingBatches(Counting(23), batchSize: 2, sequenceLength: 3);
        Assert.Equal(11, batches.StreamLength);
        Assert.Equal(3, batches.BatchesPerEpoch);
        int[] inputs = new int[6];
        int[] targets = new int[6];

        batches.Fill(0, inputs, targets);
        Assert.Equal([0, 1, 2, 11, 12, 13], inputs);
        Assert.Equal([1, 2, 3, 12, 13, 14], targets);

        batches.Fill(2, inputs, targets);
        Assert.Equal([6, 7, 8, 17, 18, 19], inputs);
        Assert.Equal([7, 8, 9, 18, 19, 20], targets);
    }

    [Fact]
    public void Each_row_continues_where_it_stopped_in_the_previous_batch()
    {
        var batches = new TrainingBatches(Counting(1000), batchSize: 4, sequenceLength: 7);
        int[] inputs = new int[28];
        int[] targets = new int[28];
        int[] previousTargets = new int[28];
        batches.Fill(0, inputs, previousTargets);
        for (int k = 1; k < batches.BatchesPerEpoch; k++)
        {
            batches.Fill(k, inputs, targets);
            for (int row = 0; row < 4; row++)
            {
                // The first input of row b is the last target of row b one batch earlier.
                Assert.Equal(previousTargets[row * 7 + 6], inputs[row * 7]);
                for (int t = 0; t < 7; t++)
                {
                    Assert.Equal(inputs[row * 7 + t] + 1, targets[row * 7 + t]);
                }
            }

            targets.CopyTo(previousTargets, 0);
        }
    }

    [Fact]
    public void Last_batch_uses_the_final_character_as_a_target()
    {
        // N = B*T + 1 exactly: one batch, whose last target is the last character.
        var batches = new TrainingBatches(Counting(13), batchSize: 3, sequenceLength: 4);
        Assert.Equal(1, batches.BatchesPerEpoch);
        int[] inputs = new int[12];
        int[] targets = new int[12];
        batches.Fill(0, inputs, targets);
        Assert.Equal(12, targets[^1]);
    }

    [Fact]
    public void Too_short_corpus_says_what_to_change()
    {
        var error = Assert.Throws<CorpusException>(() => new TrainingBatches(Counting(12), batchSize: 3, sequenceLength: 4));
        Assert.Equal(
            "The corpus of 12 characters is shorter than one training window of B×T+1 = 3×4+1 = 13 characters; " +
            "use a smaller --batch or --seq-len.",
            error.Message);
    }

    [Fact]
    public void Next_walks_epochs_and_cursor_resumes_exactly()
    {
        var batches = new TrainingBatches(Counting(23), batchSize: 2, sequenceLength: 3);
        int[] inputs = new int[6];
        int[] targets = new int[6];
        var seen = new List<(BatchCursor Cursor, int FirstInput)>();
        for (int step = 0; step < 7; step++)
        {
            BatchCursor cursor = batches.Next(inputs, targets);
            seen.Add((cursor, inputs[0]));
        }

        Assert.Equal(
            [(new(0, 0), 0), (new(0, 1), 3), (new(0, 2), 6), (new(1, 0), 0), (new(1, 1), 3), (new(1, 2), 6), (new(2, 0), 0)],
            seen);
        Assert.Equal(new BatchCursor(2, 1), batches.Cursor);

        var resumed = new TrainingBatches(Counting(23), batchSize: 2, sequenceLength: 3) { Cursor = new BatchCursor(1, 2) };
        Assert.Equal(new BatchCursor(1, 2), resumed.Next(inputs, targets));
        Assert.Equal(6, inputs[0]);
        Assert.Equal(new BatchCursor(2, 0), resumed.Cursor);
    }

    [Fact]
    public void Cursor_survives_json_and_rejects_positions_of_another_shape()
    {
        var cursor = new BatchCursor(3, 2);
        string json = System.Text.Json.JsonSerializer.Serialize(cursor);
        Assert.Equal(cursor, System.Text.Json.JsonSerializer.Deserialize<BatchCursor>(json));

        var batches = new TrainingBatches(Counting(23), batchSize: 2, sequenceLength: 3);
        var error = Assert.Throws<CorpusException>(() => batches.Cursor = new BatchCursor(0, 3));
        Assert.Contains("batches 0 to 2", error.Message);
        Assert.Throws<CorpusException>(() => batches.Cursor = new BatchCursor(-1, 0));
    }

    [Fact]
    public void Buffers_must_hold_exactly_b_times_t()
    {
        var batches = new TrainingBatches(Counting(23), batchSize: 2, sequenceLength: 3);
        Assert.Throws<ArgumentException>(() => batches.Fill(0, new int[5], new int[6]));
        Assert.Throws<ArgumentException>(() => batches.Next(new int[6], new int[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => batches.Fill(3, new int[6], new int[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingBatches(Counting(23), 0, 3));
    }
}
