using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Tests.Sampling;

/// <summary>Batched generation draws every stream's character on the session's team, with the stream's own generator.</summary>
public sealed unsafe class GenerationSessionTests
{
    private static Rng[] Generators(int count, ulong seed) => Enumerable.Range(0, count).Select(b => new Rng(seed + (ulong)b * 7919)).ToArray();

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(0, 5, 2)]
    [InlineData(6, 7, 2)]
    [InlineData(6, 7, 3)]
    [InlineData(6, 32, 2)]
    public void Step_and_sample_draws_what_step_then_sampling_each_stream_draws(int embedding, int batch, int threads)
    {
        var cfg = new ModelConfig(VocabSize: 23, EmbeddingSize: embedding, HiddenSize: 40, Layers: 2);
        var model = new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(3)));
        var options = new SamplingOptions(0.8f, TopK: 12, TopP: 0.97f);
        using var batched = new GenerationSession(model, batch, threads);
        using var serial = new InferenceSession(model, batch, threads: 1);
        var rngsBatched = Generators(batch, 11);
        var rngsSerial = Generators(batch, 11);
        var sampler = new Sampler(cfg.VocabSize);
        var tokensBatched = new int[batch];
        var tokensSerial = new int[batch];
        for (int b = 0; b < batch; b++) tokensBatched[b] = tokensSerial[b] = b % cfg.VocabSize;
        for (int step = 0; step < 40; step++)
        {
            batched.StepAndSample(tokensBatched, options, rngsBatched).CopyTo(tokensBatched);
            var logits = serial.Step(tokensSerial);
            Assert.True(logits.SequenceEqual(batched.Inference.LastLogits), $"logits differ at step {step}");
            for (int b = 0; b < batch; b++) tokensSerial[b] = sampler.Sample(logits.Slice(b * cfg.VocabSize, cfg.VocabSize), options, rngsSerial[b]);
            Assert.Equal(tokensSerial, tokensBatched);
        }
    }

    [Fact]
    public void Step_and_sample_allocates_nothing_per_character_on_any_thread()
    {
        var cfg = new ModelConfig(VocabSize: 30, EmbeddingSize: 16, HiddenSize: 64, Layers: 2);
        var model = new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(1)));
        using var session = new GenerationSession(model, streams: 8, threads: 2);
        var options = new SamplingOptions(1f);
        var rngs = Generators(8, 5);
        var tokens = new int[8];
        // Bytes allocated so far by each member's thread (the caller is member 0), read on that thread.
        var perThread = new long[session.Inference.Threads];
        long Allocated()
        {
            fixed (long* slots = perThread) session.Inference.Team.Run(&ReadAllocated, slots);
            return perThread.Sum();
        }
        long Measure(int steps)
        {
            long before = Allocated();
            for (int i = 0; i < steps; i++) session.StepAndSample(tokens, options, rngs).CopyTo(tokens);
            return Allocated() - before;
        }

        // Warm up until the JIT has settled: tiered recompilation can land on these threads.
        JitSettling.Wait(() => Measure(500));
        Assert.Equal(0, Measure(2000));
    }

    private static void ReadAllocated(void* slots, int member, int members) => ((long*)slots)[member] = GC.GetAllocatedBytesForCurrentThread();

    [Fact]
    public void Step_and_sample_needs_one_generator_per_stream()
    {
        var cfg = new ModelConfig(VocabSize: 9, EmbeddingSize: 0, HiddenSize: 16, Layers: 1);
        using var session = new GenerationSession(new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(1))), streams: 3);
        var error = Assert.Throws<ArgumentException>(() => session.StepAndSample(new int[3], new SamplingOptions(), Generators(2, 1)));
        Assert.Contains("3 generators", error.Message);
    }
}
