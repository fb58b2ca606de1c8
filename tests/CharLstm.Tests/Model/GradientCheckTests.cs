using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Tests.Model;

/// <summary>Central finite differences against the analytic gradient, for every parameter and the initial state.</summary>
public sealed class GradientCheckTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, float> Configs => new()
    {
        { 0, 1, 0f },   // one-hot, 1 layer
        { 3, 2, 0f },   // embedding 3, 2 layers
        { 4, 3, 0.4f }, // embedding 4, 3 layers, dropout with a fixed mask
    };

    [Theory, MemberData(nameof(Configs))]
    public void Analytic_gradients_match_finite_differences(int embedding, int layers, float dropout)
    {
        var cfg = new ModelConfig(VocabSize: 5, EmbeddingSize: embedding, HiddenSize: 4, Layers: layers, Dropout: dropout);
        const int batch = 2, seq = 3;
        var model = LstmModel.CreateInitialized(cfg, new Rng(7));
        // Widen the weights so gates are not all near 0.5: the check then covers curved regions too.
        for (int i = 0; i < model.Parameters.Length; i++) model.Parameters[i] *= 2f;
        var inputs = TinyModels.Tokens(batch * seq, 5, 11);
        var targets = TinyModels.Tokens(batch * seq, 5, 12);
        var state0 = TinyModels.RandomState(cfg, batch, 13);
        var maskRng = new Rng(99); // cloned for every evaluation: the same dropout mask each time
        var ws = new NetworkPass(cfg, batch, seq);

        double Loss()
        {
            return ws.Forward(model, inputs, targets, TinyModels.Copy(state0), training: true, maskRng.Clone());
        }

        var grads = new float[model.Parameters.Length];
        Loss();
        ws.Backward(model, grads);
        var dh0 = (float[])ws.InitialHiddenGradient.Clone();
        var dc0 = (float[])ws.InitialCellGradient.Clone();

        // The loss is float32 (resolution ~1e-7), so the step is wide enough that rounding noise
        // (~1e-7 / 2ε = 5e-6) stays far below the bound; truncation error is O(ε²).
        const float eps = 1e-2f;
        double worst = 0;
        string worstWhere = "";
        void CheckOne(string name, float analytic, float[] buffer, int index)
        {
            float saved = buffer[index];
            buffer[index] = saved + eps; double up = Loss();
            buffer[index] = saved - eps; double down = Loss();
            buffer[index] = saved;
            double numeric = (up - down) / (2 * eps);
            // Bound: 5e-5 absolute (rounding noise ×10) plus 1% relative.
            double err = Math.Abs(numeric - analytic) / (5e-5 + 1e-2 * Math.Abs(numeric));
            if (err > worst) { worst = err; worstWhere = $"{name}[{index}] analytic {analytic:E4} numeric {numeric:E4}"; }
            Assert.True(err < 1, $"{name}[{index}]: analytic {analytic:E5}, numeric {numeric:E5}");
        }

        foreach (var t in model.Layout.Tensors)
            for (int i = 0; i < t.Length; i++) CheckOne(t.Name, grads[t.Offset + i], model.Parameters, t.Offset + i);
        for (int i = 0; i < state0.H.Length; i++) CheckOne("h0", dh0[i], state0.H, i);
        for (int i = 0; i < state0.C.Length; i++) CheckOne("c0", dc0[i], state0.C, i);
        output.WriteLine($"{model.Parameters.Length} parameters + {2 * state0.H.Length} state values checked; worst error as a fraction of the bound {worst:E2} at {worstWhere}");
    }
}
