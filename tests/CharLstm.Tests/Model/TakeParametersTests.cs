using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Tests.Model;

/// <summary>Fine-tuning's weight transfer: every character keeps its own rows (or one-hot columns) in a new vocabulary.</summary>
public sealed class TakeParametersTests
{
    [Theory]
    [InlineData(8)] // embedding input
    [InlineData(0)] // one-hot input: layer 0's input weights have a column per character
    public void Each_character_keeps_its_weights_and_new_ones_keep_their_initialisation(int embedding)
    {
        var source = LstmModel.CreateInitialized(new ModelConfig(5, embedding, 6, 2), new Rng(1));
        var fresh = LstmModel.CreateInitialized(new ModelConfig(7, embedding, 6, 2), new Rng(2));
        var target = LstmModel.CreateInitialized(new ModelConfig(7, embedding, 6, 2), new Rng(2));
        int[] sourceIdOf = [-1, 0, 1, -1, 2, 3, 4]; // two new characters, at ids 0 and 3
        target.TakeParametersFrom(source, sourceIdOf);

        foreach (var tensor in target.Layout.Tensors)
        {
            var to = target.View(tensor);
            var from = source.View(tensor.Name);
            var init = fresh.View(tensor);
            bool rows = tensor.Name is "embedding.weight" or "head.weight" or "head.bias";
            bool columns = embedding == 0 && tensor.Name == "lstm.weight_ih_l0";
            for (int i = 0; i < to.Length; i++)
            {
                int width = tensor.Shape.Length == 2 ? tensor.Shape[1] : 1;
                int id = rows ? i / width : columns ? i % 7 : -2;
                float expected = id == -2 ? from[i]
                    : sourceIdOf[id] < 0 ? init[i]
                    : rows ? from[sourceIdOf[id] * width + i % width]
                    : from[i / 7 * 5 + sourceIdOf[id]];
                Assert.True(expected == to[i], $"{tensor.Name}[{i}]: {to[i]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void Models_of_another_shape_are_refused()
    {
        var source = new LstmModel(new ModelConfig(5, 8, 6, 2));
        var target = new LstmModel(new ModelConfig(5, 8, 12, 2));
        Assert.Throws<ArgumentException>(() => target.TakeParametersFrom(source, [0, 1, 2, 3, 4]));
        var same = new LstmModel(new ModelConfig(5, 8, 6, 2));
        Assert.Throws<ArgumentException>(() => same.TakeParametersFrom(source, [0, 1, 2, 3, 9]));
    }
}
