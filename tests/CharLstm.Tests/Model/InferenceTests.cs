using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Tests.Model;

/// <summary>
/// Generation has its own forward (one step at a time, gate columns regrouped by 16 units, upper
/// layers' input and recurrent products stacked into one); it must give the training forward's logits
/// and final state bit for bit, at every layer count the model allows.
/// </summary>
public sealed class InferenceTests
{
    public static TheoryData<int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int>();
        for (int layers = 1; layers <= ModelConfig.MaxLayers; layers++)
            foreach (var (embedding, hidden) in new[] { (0, 16), (5, 24), (7, 40) })
                data.Add(layers, embedding, hidden, layers % 2 + 1);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Generation_steps_equal_the_training_forward_bit_for_bit(int layers, int embedding, int hidden, int threads)
    {
        var cfg = new ModelConfig(VocabSize: 11, EmbeddingSize: embedding, HiddenSize: hidden, Layers: layers);
        var model = LstmModel.CreateInitialized(cfg, new Rng((ulong)(layers * 100 + hidden)), forgetBiasOne: true);
        const int batch = 3, seq = 5;
        var inputs = TinyModels.Tokens(batch * seq, cfg.VocabSize, 4);
        var state = TinyModels.RandomState(cfg, batch, 9);
        using var session = new InferenceSession(new InferenceModel(model), batch, threads);
        session.State.CopyFrom(state);
        using var pass = new NetworkPass(cfg, batch, seq, threads);
        pass.Forward(model, inputs, inputs, state, training: false);

        var tokens = new int[batch];
        int v = cfg.VocabSize;
        for (int t = 0; t < seq; t++)
        {
            for (int b = 0; b < batch; b++) tokens[b] = inputs[b * seq + t];
            var logits = session.Step(tokens);
            Assert.True(pass.Logits.Slice(t * batch * v, batch * v).SequenceEqual(logits), $"logits differ at step {t}");
        }
        Assert.Equal(state.H, session.State.H);
        Assert.Equal(state.C, session.State.C);
    }
}
