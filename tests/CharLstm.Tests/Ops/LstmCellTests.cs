using CharLstm.Ops;

namespace CharLstm.Tests.Ops;

/// <summary>The LSTM cell's fast paths (every SIMD width) against its scalar reference.</summary>
public sealed class LstmCellTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 8)]
    [InlineData(2, 9)]
    [InlineData(4, 33)]
    [InlineData(1, 128)]
    [InlineData(2, 24)]
    [InlineData(3, 45)]
    public void Lstm_cell_fast_paths_match_reference(int batch, int hidden)
    {
        var gates = RandomData.Uniform(batch * 4 * hidden, 5); for (int i = 0; i < gates.Length; i++) gates[i] *= 4;
        var cPrev = RandomData.Uniform(batch * hidden, 6);
        var (c1, t1, h1, g1) = (new float[batch * hidden], new float[batch * hidden], new float[batch * hidden], (float[])gates.Clone());
        var (c2, t2, h2, g2) = (new float[batch * hidden], new float[batch * hidden], new float[batch * hidden], (float[])gates.Clone());
        LstmCell.Forward(c1, t1, h1, g1, cPrev, batch, hidden);
        LstmCell.ForwardReference(c2, t2, h2, g2, cPrev, batch, hidden);
        AssertClose(g2, g1, 1e-6f); AssertClose(c2, c1, 1e-6f); AssertClose(t2, t1, 1e-6f); AssertClose(h2, h1, 1e-6f);

        var dh = RandomData.Uniform(batch * hidden, 7);
        var dcFast = RandomData.Uniform(batch * hidden, 8); var dcRef = (float[])dcFast.Clone();
        var dgFast = new float[gates.Length]; var dgRef = new float[gates.Length];
        LstmCell.Backward(dgFast, dcFast, dh, g2, cPrev, t2, batch, hidden);
        LstmCell.BackwardReference(dgRef, dcRef, dh, g2, cPrev, t2, batch, hidden);
        AssertClose(dgRef, dgFast, 1e-6f); AssertClose(dcRef, dcFast, 1e-6f);
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"index {i}: {expected[i]} vs {actual[i]}");
    }
}
