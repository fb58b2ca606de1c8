using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Training;

namespace CharLstm.Tests.Model;

/// <summary>A thread team splits work by output element, never by timing: same bits on every run and every thread count.</summary>
public sealed class ThreadingTests
{
    [Theory]
    // (hidden, layers, vocab, batch, asked) -> threads: T1's size (205 K multiply-adds per step) runs
    // on one thread at batch 1 and on what was asked from batch 2; T2's size splits at batch 1.
    [InlineData(128, 2, 65, 1, 2, 1)]
    [InlineData(128, 2, 65, 2, 2, 2)]
    [InlineData(128, 2, 65, 4, 3, 3)]
    [InlineData(256, 2, 65, 1, 2, 2)]
    [InlineData(256, 2, 65, 1, 1, 1)]
    [InlineData(16, 1, 10, 64, 2, 1)]
    public void Generation_uses_one_thread_for_a_step_too_small_to_split(int hidden, int layers, int vocab, int batch, int asked, int expected)
    {
        var model = new InferenceModel(LstmModel.CreateInitialized(new ModelConfig(vocab, 0, hidden, layers), new Rng(1)));
        Assert.Equal(expected, InferenceSession.UsefulThreads(model, batch, asked));
    }

    private static (float[] Weights, float[] Losses, float[] Hidden) Train(int threads, ModelConfig cfg, int batch, int seq, int steps)
    {
        var rng = new Rng(42);
        var model = LstmModel.CreateInitialized(cfg, rng, forgetBiasOne: true);
        var guard = new StepGuard(new Adam(model.Parameters.Length), 5);
        var ws = new NetworkPass(cfg, batch, seq, threads);
        Assert.Equal(threads, ws.Threads);
        var state = new LstmState(cfg, batch);
        var grads = new float[model.Parameters.Length];
        var losses = new float[steps];
        for (int step = 0; step < steps; step++)
        {
            var tokens = TinyModels.Tokens(batch * (seq + 1), cfg.VocabSize, (ulong)step);
            var inputs = new int[batch * seq]; var targets = new int[batch * seq];
            for (int b = 0; b < batch; b++)
            {
                Array.Copy(tokens, b * (seq + 1), inputs, b * seq, seq);
                Array.Copy(tokens, b * (seq + 1) + 1, targets, b * seq, seq);
            }
            Array.Clear(grads);
            losses[step] = ws.Forward(model, inputs, targets, state, training: true, rng);
            ws.Backward(model, grads);
            guard.Step(model.Parameters, grads, losses[step]);
        }
        return (model.Parameters, losses, state.H);
    }

    [Theory]
    [InlineData(0, 0f)]
    [InlineData(6, 0.2f)]
    public void Two_thread_training_gives_identical_bits_run_to_run_and_matches_one_thread(int embedding, float dropout)
    {
        // Hidden 40: three gate groups, the last one partial; batch 7 splits unevenly.
        var cfg = new ModelConfig(VocabSize: 13, EmbeddingSize: embedding, HiddenSize: 40, Layers: 2, Dropout: dropout);
        var first = Train(2, cfg, batch: 7, seq: 9, steps: 6);
        var second = Train(2, cfg, batch: 7, seq: 9, steps: 6);
        Assert.Equal(first.Losses, second.Losses);
        Assert.True(first.Weights.AsSpan().SequenceEqual(second.Weights), "2-thread runs differ");
        Assert.True(first.Hidden.AsSpan().SequenceEqual(second.Hidden), "2-thread carried states differ");
        var single = Train(1, cfg, batch: 7, seq: 9, steps: 6);
        Assert.Equal(single.Losses, first.Losses);
        Assert.True(single.Weights.AsSpan().SequenceEqual(first.Weights), "1- and 2-thread training differ");
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 5)]
    [InlineData(6, 1)]
    [InlineData(6, 8)]
    public void Inference_gives_identical_bits_on_every_thread_count(int embedding, int batch)
    {
        var cfg = new ModelConfig(VocabSize: 11, EmbeddingSize: embedding, HiddenSize: 40, Layers: 3);
        var model = new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(8)));
        var sessions = Enumerable.Range(1, 3).Select(t => new InferenceSession(model, batch, t)).ToArray();
        var tokens = new int[batch];
        for (int step = 0; step < 12; step++)
        {
            for (int b = 0; b < batch; b++) tokens[b] = (step * 7 + b * 3) % cfg.VocabSize;
            var reference = sessions[0].Step(tokens).ToArray();
            foreach (var session in sessions.Skip(1))
                Assert.True(reference.AsSpan().SequenceEqual(session.Step(tokens)), $"{session.Threads} threads differ at step {step}");
        }
        foreach (var session in sessions.Skip(1))
        {
            Assert.True(sessions[0].State.H.AsSpan().SequenceEqual(session.State.H));
            Assert.True(sessions[0].State.C.AsSpan().SequenceEqual(session.State.C));
        }
    }
}
