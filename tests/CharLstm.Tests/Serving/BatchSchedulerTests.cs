using System.Threading.Channels;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;
using CharLstm.Serving;

namespace CharLstm.Tests.Serving;

/// <summary>
/// Continuous batching: streams that join and leave one shared batch give exactly the characters a stream
/// generated alone gives (the single-stream generator is the reference), whatever joins beside them and when;
/// admission is bounded and all-or-nothing; a cancelled stream leaves within one step.
/// </summary>
public sealed class BatchSchedulerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Small enough to step on one thread, and large enough (2 × 96, V 40: over 256 K multiply-adds at 8 streams)
    // that batches of 8 or more run on two threads.
    private static InferenceModel Model(int hidden, int layers = 2, int vocab = 40) =>
        new(LstmModel.CreateInitialized(new ModelConfig(VocabSize: vocab, EmbeddingSize: 16, HiddenSize: hidden, Layers: layers),
            new Rng((ulong)(hidden * 10 + layers)), forgetBiasOne: true));

    private static StreamRequest Request(int i, int vocab, int maxTokens, ulong seed)
    {
        var rng = new Rng(1000 + (ulong)i);
        int[] prompt = [.. Enumerable.Range(0, 1 + rng.NextInt(12)).Select(_ => rng.NextInt(vocab))];
        SamplingOptions[] kinds = [new(0.8f), new(0f), new(1f, TopK: 5), new(1.2f, TopP: 0.9f), new(0.7f, TopK: 10, TopP: 0.8f)];
        return new StreamRequest(prompt, maxTokens, kinds[i % kinds.Length], seed);
    }

    private static int[] Alone(InferenceModel model, StreamRequest r) =>
        [.. TextGenerator.Generate(model, r.Prompt, r.MaxTokens, r.Sampling, new Rng(r.Seed))];

    private static async Task<int[]> Collect(ChannelReader<int> reader)
    {
        var ids = new List<int>();
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (int id in reader.ReadAllAsync(timeout.Token)) ids.Add(id);
        return [.. ids];
    }

    [Theory]
    [InlineData(16, 1, 1)]
    [InlineData(96, 2, 2)]
    [InlineData(40, 3, 2)]
    public async Task A_stream_alone_gives_the_single_stream_generators_characters(int hidden, int layers, int threads)
    {
        var model = Model(hidden, layers);
        using var scheduler = new BatchScheduler(model, maxStreams: 8, maxQueued: 8, threads);
        for (int i = 0; i < 5; i++)
        {
            var r = Request(i, 40, 60, seed: (ulong)i);
            var readers = scheduler.TryStart([r], Ct);
            Assert.NotNull(readers);
            Assert.Equal(Alone(model, r), await Collect(readers[0]));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Streams_that_join_and_leave_at_different_steps_each_give_their_alone_characters(int threads)
    {
        var model = Model(96);
        using var scheduler = new BatchScheduler(model, maxStreams: 32, maxQueued: 40, threads);
        var requests = Enumerable.Range(0, 40).Select(i => Request(i, 40, 5 + (i * 37 % 90), seed: (ulong)(7 * i))).ToArray();
        var collecting = new List<(StreamRequest Request, Task<int[]> Ids)>();
        for (int i = 0; i < requests.Length; i++)
        {
            // Staggered: some start together, some while others are mid-prompt or mid-draw; 40 > 32 slots, so some queue.
            if (i % 5 == 0) await Task.Delay(3, TestContext.Current.CancellationToken);
            var readers = scheduler.TryStart([requests[i]], Ct);
            Assert.NotNull(readers);
            collecting.Add((requests[i], Collect(readers[0])));
        }

        foreach (var (request, ids) in collecting) Assert.Equal(Alone(model, request), await ids);
        Assert.Equal(0, scheduler.Active);
        Assert.Equal(0, scheduler.Queued);
    }

    [Fact]
    public async Task A_seeded_request_gives_the_same_text_alone_and_among_31_others()
    {
        var model = Model(96);
        var mine = Request(3, 40, 200, seed: 42);
        int[] alone;
        using (var scheduler = new BatchScheduler(model, maxStreams: 32, maxQueued: 0, threads: 2))
            alone = await Collect(scheduler.TryStart([mine], Ct)![0]);

        using var crowded = new BatchScheduler(model, maxStreams: 32, maxQueued: 0, threads: 2);
        var others = crowded.TryStart([.. Enumerable.Range(10, 31).Select(i => Request(i, 40, 300, seed: (ulong)i))], Ct);
        Assert.NotNull(others);
        var readers = crowded.TryStart([mine], Ct);
        Assert.NotNull(readers);
        Assert.Equal(alone, await Collect(readers[0]));
        Assert.Equal(Alone(model, mine), alone);
        foreach (var r in others) await Collect(r);
    }

    [Fact]
    public async Task Admission_is_bounded_by_slots_and_queue_and_all_or_nothing()
    {
        var model = Model(16);
        using var scheduler = new BatchScheduler(model, maxStreams: 2, maxQueued: 1, threads: 1);
        using var cancel = new CancellationTokenSource();
        var long1 = scheduler.TryStart([Request(0, 40, 1_000_000, 1), Request(1, 40, 1_000_000, 2)], cancel.Token);
        Assert.NotNull(long1);
        Assert.Null(scheduler.TryStart([Request(2, 40, 5, 3), Request(3, 40, 5, 4)], Ct)); // two do not fit in one queue place
        var queued = scheduler.TryStart([Request(2, 40, 5, 3)], Ct);
        Assert.NotNull(queued);
        Assert.Null(scheduler.TryStart([Request(4, 40, 5, 5)], Ct));
        Assert.True(SpinWait.SpinUntil(() => scheduler.Active == 2 && scheduler.Queued == 1, Patience));

        await cancel.CancelAsync();
        foreach (var r in long1) await Collect(r);
        Assert.Equal(Alone(model, Request(2, 40, 5, 3)), await Collect(queued[0]));
    }

    [Fact]
    public async Task A_cancelled_stream_draws_nothing_after_the_step_it_was_cancelled_in_and_its_reader_completes()
    {
        var model = Model(16);
        using var scheduler = new BatchScheduler(model, maxStreams: 4, maxQueued: 0, threads: 1);
        using var cancel = new CancellationTokenSource();
        // Cancelled on the loop thread itself, after step 50: the stream must leave before step 51.
        scheduler.AfterStep = () =>
        {
            if (scheduler.Steps == 50) cancel.Cancel();
        };
        var request = Request(1, 40, 1_000_000, 2);
        var gone = scheduler.TryStart([request], cancel.Token);
        Assert.NotNull(gone);
        var keep = scheduler.TryStart([Request(0, 40, 1_000_000, 1)], Ct);
        Assert.NotNull(keep);

        // It joined at step 1 and read its prompt in steps 1 to P, drawing after steps P to 50.
        int drawn = (await Collect(gone[0])).Length;
        Assert.Equal(50 - request.Prompt.Length + 1, drawn);
        Assert.True(SpinWait.SpinUntil(() => scheduler.Active == 1, Patience));
        Assert.True(scheduler.Steps > 50);
        Assert.False(keep[0].Completion.IsCompleted);
    }

    [Fact]
    public async Task A_streams_own_token_ends_it_alone_and_the_calls_token_still_ends_the_rest()
    {
        var model = Model(16);
        using var scheduler = new BatchScheduler(model, maxStreams: 4, maxQueued: 0, threads: 1);
        using var call = new CancellationTokenSource();
        using var own = new CancellationTokenSource();
        // On the loop thread: the first stream's own token after step 30, the call's token after step 60.
        scheduler.AfterStep = () =>
        {
            if (scheduler.Steps == 30) own.Cancel();
            if (scheduler.Steps == 60) call.Cancel();
        };
        var first = Request(1, 40, 1_000_000, 1) with { Cancellation = own.Token };
        var brief = Request(2, 40, 5, 2);        // ends on its own after 5 draws, before either token
        var last = Request(3, 40, 1_000_000, 3);
        var readers = scheduler.TryStart([first, brief, last], call.Token);
        Assert.NotNull(readers);

        int[] firstIds = await Collect(readers[0]);
        int[] briefIds = await Collect(readers[1]);
        int[] lastIds = await Collect(readers[2]);
        // Each joined at step 1, read its prompt in steps 1 to P and drew after steps P to the step it was ended in.
        Assert.Equal(30 - first.Prompt.Length + 1, firstIds.Length);
        Assert.Equal(Alone(model, brief), briefIds);
        Assert.Equal(60 - last.Prompt.Length + 1, lastIds.Length);
        Assert.Equal(Alone(model, last with { MaxTokens = lastIds.Length }), lastIds);
    }

    [Fact]
    public async Task Zero_tokens_complete_at_once_and_dispose_ends_every_stream()
    {
        var model = Model(16);
        var scheduler = new BatchScheduler(model, maxStreams: 1, maxQueued: 4, threads: 1);
        Assert.Empty(await Collect(scheduler.TryStart([Request(0, 40, 0, 1)], Ct)![0]));
        var running = scheduler.TryStart([Request(1, 40, 1_000_000, 1)], Ct)!;
        var waiting = scheduler.TryStart([Request(2, 40, 10, 1)], Ct)!;
        Assert.True(await running[0].WaitToReadAsync(TestContext.Current.CancellationToken));
        scheduler.Dispose();
        await Collect(running[0]);
        Assert.Empty(await Collect(waiting[0]));
        Assert.Throws<ObjectDisposedException>(() => scheduler.TryStart([Request(3, 40, 1, 1)], Ct));
    }

    [Fact]
    public void Bad_requests_are_refused_before_admission()
    {
        using var scheduler = new BatchScheduler(Model(16), maxStreams: 2, maxQueued: 0, threads: 1);
        var ok = new SamplingOptions();
        Assert.Throws<ArgumentException>(() => scheduler.TryStart([new StreamRequest([], 5, ok, 1)], Ct));
        Assert.Throws<ArgumentException>(() => scheduler.TryStart([new StreamRequest([40], 5, ok, 1)], Ct));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.TryStart([new StreamRequest([1], -1, ok, 1)], Ct));
        Assert.Equal(0, scheduler.Queued + scheduler.Active);
    }
}
