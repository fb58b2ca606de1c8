using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Tests.Sampling;

public sealed class SamplerTests
{
    private static readonly float[] Logits = [2.0f, 1.0f, 0.5f, -1.0f, 0.0f];

    [Fact]
    public void Temperature_zero_is_argmax()
        => Assert.Equal(0, new Sampler(5).Sample(Logits, new SamplingOptions(0f), new Rng(1)));

    [Fact]
    public void Empirical_frequencies_match_softmax_at_temperature()
    {
        foreach (float temperature in new[] { 0.5f, 1f, 2f })
        {
            var sampler = new Sampler(5);
            var rng = new Rng(77);
            var counts = new int[5];
            const int n = 200_000;
            for (int i = 0; i < n; i++) counts[sampler.Sample(Logits, new SamplingOptions(temperature), rng)]++;
            double z = Logits.Sum(l => Math.Exp(l / temperature));
            for (int i = 0; i < 5; i++)
            {
                double p = Math.Exp(Logits[i] / temperature) / z;
                double sigma = Math.Sqrt(p * (1 - p) / n);
                Assert.InRange(counts[i] / (double)n, p - 5 * sigma, p + 5 * sigma);
            }
        }
    }

    [Fact]
    public void Top_k_and_top_p_keep_only_the_most_likely()
    {
        var sampler = new Sampler(5);
        var rng = new Rng(3);
        for (int i = 0; i < 5000; i++) Assert.InRange(sampler.Sample(Logits, new SamplingOptions(1f, TopK: 2), rng), 0, 1);
        // p(0) ≈ 0.52 under softmax: top-p 0.5 keeps only index 0.
        for (int i = 0; i < 1000; i++) Assert.Equal(0, sampler.Sample(Logits, new SamplingOptions(1f, TopP: 0.5f), rng));
    }

    [Fact]
    public void Same_seed_same_draws()
    {
        int[] Draw(ulong seed) { var s = new Sampler(5); var r = new Rng(seed); return Enumerable.Range(0, 100).Select(_ => s.Sample(Logits, new SamplingOptions(), r)).ToArray(); }
        Assert.Equal(Draw(5), Draw(5));
        Assert.NotEqual(Draw(5), Draw(6));
    }
}
