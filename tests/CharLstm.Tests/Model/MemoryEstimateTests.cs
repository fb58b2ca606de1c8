using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Tests.Model;

/// <summary>The up-front memory estimates agree with what the engine then allocates.</summary>
public sealed class MemoryEstimateTests
{
    [Theory]
    [InlineData(0, 16, 1, 0f, 3, 5, 1)]
    [InlineData(7, 24, 2, 0.2f, 4, 6, 2)]
    [InlineData(5, 32, 3, 0f, 2, 9, 3)]
    [InlineData(0, 40, 2, 0.1f, 5, 3, 1)]
    public void Network_pass_estimate_is_what_a_pass_holds_after_a_step(int embedding, int hidden, int layers, float dropout, int batch, int seq, int threads)
    {
        var cfg = new ModelConfig(VocabSize: 13, EmbeddingSize: embedding, HiddenSize: hidden, Layers: layers, Dropout: dropout);
        var model = LstmModel.CreateInitialized(cfg, new Rng(2));
        using var pass = new NetworkPass(cfg, batch, seq, threads);
        var tokens = TinyModels.Tokens(batch * seq, cfg.VocabSize, 3);
        pass.Forward(model, tokens, tokens, new LstmState(cfg, batch), training: true, new Rng(4));
        pass.Backward(model, new float[model.Parameters.Length]);
        long estimate = NetworkPass.EstimateBytes(cfg, batch, seq, threads);
        Assert.InRange(estimate, pass.BufferBytes, pass.BufferBytes + 4 * 16 * (2 * layers + 4));
    }

    [Fact]
    public void Parameter_count_is_the_layout_count_and_exceeds_int_without_overflowing()
    {
        var small = new ModelConfig(VocabSize: 65, EmbeddingSize: 64, HiddenSize: 256, Layers: 2);
        Assert.Equal(new ParameterLayout(small).Count, ParameterLayout.CountParameters(small));
        var huge = new ModelConfig(VocabSize: 65, EmbeddingSize: 0, HiddenSize: ModelConfig.MaxHiddenSize, Layers: ModelConfig.MaxLayers);
        Assert.True(ParameterLayout.CountParameters(huge) > int.MaxValue);
        var error = Assert.Throws<ArgumentException>(() => new ParameterLayout(huge));
        Assert.Contains("parameters", error.Message);
    }

    [Theory]
    [InlineData(0, 16, 1, 1, 1)]
    [InlineData(6, 40, 3, 4, 2)]
    public void Generation_estimate_covers_the_model_snapshot_and_a_session(int embedding, int hidden, int layers, int batch, int threads)
    {
        var cfg = new ModelConfig(VocabSize: 11, EmbeddingSize: embedding, HiddenSize: hidden, Layers: layers);
        var inference = new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(1)));
        using var session = new InferenceSession(inference, batch, threads);
        long estimate = InferenceModel.EstimateBytes(cfg) + InferenceSession.EstimateBytes(cfg, batch, threads);
        Assert.InRange(estimate, inference.BufferBytes + session.BufferBytes, inference.BufferBytes + session.BufferBytes + 4 * 16 * (layers + 2));
    }
}
