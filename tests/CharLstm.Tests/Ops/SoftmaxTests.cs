using CharLstm.Ops;

namespace CharLstm.Tests.Ops;

/// <summary>The stable softmax.</summary>
public sealed class SoftmaxTests
{
    [Fact]
    public void Softmax_is_stable_and_normalised()
    {
        var x = new float[] { 1000f, 999f, -1000f, 998f };
        var p = new float[4];
        double lse = Softmax.Normalize(p, x);
        Assert.All(p, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1.0, p.Sum(v => (double)v), 6);
        Assert.Equal(1000 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-2)), lse, 4);
    }
}
