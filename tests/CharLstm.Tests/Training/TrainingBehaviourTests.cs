using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Ops;
using CharLstm.Sampling;
using CharLstm.Training;

namespace CharLstm.Tests.Training;

public sealed class TrainingBehaviourTests(ITestOutputHelper output)
{
    [Fact]
    public void Tiny_model_memorises_a_string_and_greedy_generation_reproduces_it()
    {
        // A random 48-character string over 8 symbols, so it cannot be guessed from rules.
        int[] text = TinyModels.Tokens(48, 8, seed: 2024);
        var cfg = new ModelConfig(VocabSize: 8, EmbeddingSize: 8, HiddenSize: 32, Layers: 1);
        var model = LstmModel.CreateInitialized(cfg, new Rng(1));
        var guard = new StepGuard(new Adam(model.Parameters.Length, 1e-2), clip: 5);
        var ws = new NetworkPass(cfg, batch: 1, seqLen: text.Length - 1);
        var grads = new float[model.Parameters.Length];
        float loss = float.NaN;
        int step;
        for (step = 0; step < 1500; step++)
        {
            Array.Clear(grads);
            loss = ws.Forward(model, text.AsSpan(0, text.Length - 1), text.AsSpan(1), new LstmState(cfg, 1), training: true);
            if (loss < 0.05f) break;
            ws.Backward(model, grads);
            guard.Step(model.Parameters, grads, loss);
        }
        output.WriteLine($"loss {loss:F4} after {step} steps");
        Assert.True(loss < 0.05f, $"loss {loss} did not fall below 0.05");

        var session = new InferenceSession(new InferenceModel(model));
        var generated = new List<int> { text[0] };
        int token = text[0];
        for (int i = 1; i < text.Length; i++)
        {
            token = Sampler.ArgMax(session.Step([token]));
            generated.Add(token);
        }
        Assert.Equal(text, generated);
    }

    [Fact]
    public void Dropout_is_identity_in_evaluation()
    {
        var withDrop = new ModelConfig(9, 4, 8, 2, Dropout: 0.5f);
        var model = LstmModel.CreateInitialized(withDrop, new Rng(3));
        var plain = new LstmModel(withDrop with { Dropout = 0 });
        model.Parameters.CopyTo(plain.Parameters, 0);
        var tokens = TinyModels.Tokens(12, 9, 4);
        float a = new NetworkPass(withDrop, 2, 6).Forward(model, tokens, tokens, new LstmState(withDrop, 2), training: false);
        float b = new NetworkPass(plain.Config, 2, 6).Forward(plain, tokens, tokens, new LstmState(plain.Config, 2), training: false);
        Assert.Equal(b, a);
        float c = new NetworkPass(withDrop, 2, 6).Forward(model, tokens, tokens, new LstmState(withDrop, 2), training: true, new Rng(1));
        Assert.NotEqual(b, c);
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.3f)]
    [InlineData(0.5f)]
    [InlineData(0.8f)]
    public void Dropout_preserves_the_expected_activation(float p)
    {
        // Inverted dropout on N ones: each output is 0 or 1/(1−p), mean 1, variance p/(1−p).
        // The sample mean is then within 5σ = 5·sqrt(p/((1−p)N)) of 1 except with probability < 1e-6.
        const int n = 1_000_000;
        var x = new float[n]; Array.Fill(x, 1f);
        var y = new float[n]; var mask = new float[n];
        Dropout.Forward(y, mask, x, p, new Rng(123));
        double mean = y.Average(v => (double)v);
        double bound = 5 * Math.Sqrt(p / ((1 - p) * (double)n));
        double dropped = mask.Count(m => m == 0) / (double)n;
        output.WriteLine($"p {p}: mean {mean:F5} (bound ±{bound:F5}), dropped fraction {dropped:F4}");
        Assert.InRange(mean, 1 - bound, 1 + bound);
        Assert.InRange(dropped, p - 5 * Math.Sqrt(p * (1 - p) / n), p + 5 * Math.Sqrt(p * (1 - p) / n));
        Assert.All(mask, m => Assert.True(m == 0f || m == 1f / (1f - p)));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_gradient_skips_the_step_and_counts_it(float poison)
    {
        var cfg = new ModelConfig(7, 0, 6, 2);
        var model = LstmModel.CreateInitialized(cfg, new Rng(9));
        var adam = new Adam(model.Parameters.Length);
        var guard = new StepGuard(adam, clip: 5);
        var ws = new NetworkPass(cfg, 2, 4);
        var tokens = TinyModels.Tokens(8, 7, 1);
        var grads = new float[model.Parameters.Length];

        // One good step first, so the optimizer has state that must also stay untouched.
        float loss = ws.Forward(model, tokens, tokens, new LstmState(cfg, 2), training: true);
        ws.Backward(model, grads);
        Assert.False(guard.Step(model.Parameters, grads, loss).Skipped);
        var weightsBefore = (float[])model.Parameters.Clone();
        var momentsBefore = adam.StateBuffers.ToDictionary(kv => kv.Key, kv => (float[])kv.Value.Clone());

        Array.Clear(grads);
        loss = ws.Forward(model, tokens, tokens, new LstmState(cfg, 2), training: true);
        ws.Backward(model, grads);
        grads[grads.Length / 2] = poison;
        var outcome = guard.Step(model.Parameters, grads, loss);

        Assert.True(outcome.Skipped);
        Assert.Equal(1, guard.SkippedSteps);
        Assert.Equal(1, guard.ConsecutiveSkipped);
        Assert.Equal(1, adam.StepCount);
        Assert.Equal(weightsBefore, model.Parameters);
        foreach (var (name, buffer) in adam.StateBuffers) Assert.Equal(momentsBefore[name], buffer);

        // A non-finite loss with finite gradients is skipped as well.
        Array.Clear(grads);
        Assert.True(guard.Step(model.Parameters, grads, float.NaN).Skipped);
        Assert.Equal(2, guard.SkippedSteps);
        Assert.Equal(weightsBefore, model.Parameters);
    }

    [Fact]
    public void Clipping_returns_the_norm_and_scales_to_the_limit()
    {
        var g = new float[] { 3, 4, 0, 0 };
        double norm = GradientClipping.ClipByGlobalNorm(g, 1.0);
        Assert.Equal(5.0, norm, 6);
        Assert.Equal(1.0, Math.Sqrt(g.Sum(x => (double)x * x)), 5);
        var small = new float[] { 0.3f, 0.4f };
        GradientClipping.ClipByGlobalNorm(small, 1.0);
        Assert.Equal([0.3f, 0.4f], small);
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_losses()
    {
        (float[] Weights, float[] Losses) Run(ulong seed)
        {
            var cfg = new ModelConfig(11, 5, 12, 2, Dropout: 0.2f);
            var rng = new Rng(seed);
            var model = LstmModel.CreateInitialized(cfg, rng, forgetBiasOne: true);
            var guard = new StepGuard(new Adam(model.Parameters.Length), 5);
            var ws = new NetworkPass(cfg, 3, 8);
            var state = new LstmState(cfg, 3);
            var grads = new float[model.Parameters.Length];
            var losses = new float[15];
            for (int step = 0; step < losses.Length; step++)
            {
                var tokens = TinyModels.Tokens(3 * 9, 11, (ulong)step);
                var inputs = new int[24]; var targets = new int[24];
                for (int b = 0; b < 3; b++) { Array.Copy(tokens, b * 9, inputs, b * 8, 8); Array.Copy(tokens, b * 9 + 1, targets, b * 8, 8); }
                Array.Clear(grads);
                losses[step] = ws.Forward(model, inputs, targets, state, training: true, rng);
                ws.Backward(model, grads);
                guard.Step(model.Parameters, grads, losses[step]);
            }
            return (model.Parameters, losses);
        }
        var a = Run(42);
        var b = Run(42);
        Assert.Equal(a.Losses, b.Losses);
        Assert.Equal(a.Weights, b.Weights);
        Assert.NotEqual(a.Weights, Run(43).Weights);
    }
}
