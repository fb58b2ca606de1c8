using CharLstm.Model;
using CharLstm.Training;

namespace CharLstm.Tests.Model;

/// <summary>
/// Our engine against PyTorch (fixtures from tools/reference/make_reference.py, computed in float64).
/// Error = max |ours − torch| / max |torch| over each tensor.
/// </summary>
public sealed class GoldenTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => new(Fixture.Names);

    private void Check(string what, ReadOnlySpan<float> ours, ReadOnlySpan<double> torch, double tolerance)
    {
        double err = Compare.RelativeMaxError(ours, torch);
        output.WriteLine($"{what,-28} error {err:E2} (tolerance {tolerance:E0})");
        Assert.True(err <= tolerance, $"{what}: error {err:E3} exceeds {tolerance:E0}");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void Forward_logits_loss_and_final_state_match_torch(string name)
    {
        var fx = Fixture.Load(name);
        var model = fx.Model();
        var state = fx.State();
        var ws = new NetworkPass(fx.Config, fx.Batch, fx.SeqLen);
        float loss = ws.Forward(model, fx.Inputs, fx.Targets, state, training: false);

        // Our logits are time-major (T, B, V); torch's are (B, T, V).
        int v = fx.Config.VocabSize;
        var logits = new float[ws.Logits.Length];
        for (int b = 0; b < fx.Batch; b++)
            for (int t = 0; t < fx.SeqLen; t++)
                ws.Logits.Slice((t * fx.Batch + b) * v, v).CopyTo(logits.AsSpan((b * fx.SeqLen + t) * v, v));
        Check("logits", logits, fx.Tensor("logits"), 1e-5);
        Check("loss", [loss], [fx.Loss], 1e-5);
        Check("hT", state.H, fx.Tensor("hT"), 1e-5);
        Check("cT", state.C, fx.Tensor("cT"), 1e-5);
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void Every_gradient_matches_torch(string name)
    {
        var fx = Fixture.Load(name);
        var model = fx.Model();
        var ws = new NetworkPass(fx.Config, fx.Batch, fx.SeqLen);
        var grads = new float[model.Parameters.Length];
        ws.Forward(model, fx.Inputs, fx.Targets, fx.State(), training: true);
        ws.Backward(model, grads);
        foreach (var t in model.Layout.Tensors)
            Check("grad." + t.Name, grads.AsSpan(t.Offset, t.Length), fx.Tensor("grad." + t.Name), 1e-4);
        Check("grad.h0", ws.InitialHiddenGradient, fx.Tensor("grad.h0"), 1e-4);
        Check("grad.c0", ws.InitialCellGradient, fx.Tensor("grad.c0"), 1e-4);
    }

    [Theory]
    [InlineData("onehot_1layer", "adam")]
    [InlineData("onehot_1layer", "rmsprop")]
    [InlineData("onehot_1layer", "sgd")]
    [InlineData("embed_2layer", "adam")]
    [InlineData("embed_2layer", "rmsprop")]
    [InlineData("embed_2layer", "sgd")]
    [InlineData("embed_3layer_wide", "adam")]
    [InlineData("embed_3layer_wide", "rmsprop")]
    [InlineData("embed_3layer_wide", "sgd")]
    public void Ten_training_steps_match_torch(string name, string optimizerName)
    {
        var fx = Fixture.Load(name);
        var spec = fx.Train(optimizerName);
        var model = fx.Model();
        int count = model.Parameters.Length;
        double lr = spec.GetProperty("lr").GetDouble();
        Optimizer optimizer = optimizerName switch
        {
            "adam" => new Adam(count, lr, spec.GetProperty("betas")[0].GetDouble(), spec.GetProperty("betas")[1].GetDouble(), spec.GetProperty("eps").GetDouble()),
            "rmsprop" => new RmsProp(count, lr, spec.GetProperty("alpha").GetDouble(), spec.GetProperty("eps").GetDouble()),
            _ => new Sgd(count, lr, spec.GetProperty("momentum").GetDouble()),
        };
        var guard = new StepGuard(optimizer, spec.GetProperty("clip").GetDouble());
        var ws = new NetworkPass(fx.Config, fx.Batch, fx.SeqLen);
        var grads = new float[count];
        var losses = new float[10];
        for (int step = 0; step < 10; step++)
        {
            Array.Clear(grads);
            losses[step] = ws.Forward(model, fx.Inputs, fx.Targets, fx.State(), training: true);
            ws.Backward(model, grads);
            Assert.False(guard.Step(model.Parameters, grads, losses[step]).Skipped);
        }
        output.WriteLine($"losses {string.Join(", ", losses.Select(l => l.ToString("F5")))}");
        Check($"{optimizerName} 10-step losses", losses, spec.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray(), 1e-4);
        foreach (var t in model.Layout.Tensors)
            Check($"{optimizerName} final {t.Name}", model.Parameters.AsSpan(t.Offset, t.Length), Fixture.Data(spec.GetProperty("final").GetProperty(t.Name)), 1e-4);
    }
}
