using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Tests.Model;

/// <summary>Generation's per-character work (step + sample) allocates nothing once warmed up.</summary>
public sealed class AllocationTests
{
    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(16, 2, 1)]
    [InlineData(16, 2, 2)]
    public void Generation_step_and_sampling_allocate_nothing_per_character(int embedding, int layers, int threads)
    {
        var cfg = new ModelConfig(VocabSize: 30, EmbeddingSize: embedding, HiddenSize: 64, Layers: layers);
        var model = new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(1)));
        using var session = new InferenceSession(model, batch: 1, threads);
        var sampler = new Sampler(cfg.VocabSize);
        var rng = new Rng(2);
        var options = new SamplingOptions(0.9f, TopK: 10, TopP: 0.95f);
        var token = new int[1];
        long Measure(int characters)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < characters; i++)
            {
                session.Step(token);
                token[0] = sampler.Sample(session.LastLogits, options, rng);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Warm up until the JIT has settled: tiered recompilation can land on this thread, which is
        // start-up cost, not a per-character allocation.
        JitSettling.Wait(() => Measure(200));
        Assert.Equal(0, Measure(2000));
    }
}
