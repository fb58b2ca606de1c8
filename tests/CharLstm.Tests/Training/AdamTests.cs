using CharLstm.Training;

namespace CharLstm.Tests.Training;

/// <summary>Adam's vector path against the scalar rule, bit for bit.</summary>
public sealed class AdamTests
{
    [Fact]
    public void Adam_vector_path_equals_the_scalar_rule_bit_for_bit()
    {
        // 37 parameters: four 8-wide vectors and a scalar tail; three steps so the bias corrections change.
        var p = RandomData.Uniform(37, 31); var expected = (float[])p.Clone();
        var adam = new Adam(37, 2e-3);
        var m = new float[37]; var v = new float[37];
        for (int step = 1; step <= 3; step++)
        {
            var g = RandomData.Uniform(37, 40 + (ulong)step);
            adam.Step(p, g);
            double bc1 = 1 - Math.Pow(0.9, step), bc2Sqrt = Math.Sqrt(1 - Math.Pow(0.999, step));
            float b1 = (float)(1 - 0.9), b2 = (float)0.999, oneMinusB2 = (float)(1 - 0.999);
            float stepSize = (float)(2e-3 / bc1), inv = (float)(1 / bc2Sqrt), eps = (float)1e-8;
            for (int i = 0; i < 37; i++)
            {
                m[i] = m[i] + (g[i] - m[i]) * b1;
                v[i] = b2 * v[i] + oneMinusB2 * g[i] * g[i];
                expected[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) * inv + eps);
            }
        }
        Assert.Equal(expected, p);
    }
}
