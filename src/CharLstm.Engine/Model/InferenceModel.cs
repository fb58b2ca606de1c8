using System.Numerics.Tensors;
using CharLstm.Numerics;

namespace CharLstm.Model;

/// <summary>
/// A read-only snapshot of a model laid out for generation: each layer's weights packed once for
/// the matrix kernels, layer 0's input projection folded into a per-character table
/// (<c>table[v] = (b_ih0 + b_hh0) + x(v) · W_ih0ᵀ</c>), and for upper layers W_ih and W_hh stacked so
/// <c>[h_below ; h_own] · [W_ih ; W_hh]ᵀ</c> is one product. Safe to share between any number of
/// <see cref="InferenceSession"/>s on any threads.
/// </summary>
/// <remarks>
/// Gate columns are regrouped by 16 units: group q holds [i | f | g | o] of units 16q..16q+15, each a
/// 16-column panel. A thread that owns a group then has everything the cell update of those units
/// needs, so a layer is one product-and-cell pass per thread with one barrier after it. Each
/// element's sum runs in the same order as the training forward, so logits match it bit for bit.
/// </remarks>
public sealed unsafe class InferenceModel
{
    /// <summary>Units per gate group (one packed panel per gate).</summary>
    internal const int GroupUnits = PackedMatrix.Width;

    internal readonly float[] InputTable;        // (V, 64·G) layer 0 input projection with both biases, grouped columns
    internal readonly PackedMatrix[] Weights;    // layer 0: W_hhᵀ (H, 64·G); layer l ≥ 1: [W_ihᵀ ; W_hhᵀ] (2H, 64·G)
    internal readonly float[][] Bias;            // per layer (64·G): b_ih + b_hh, grouped ([0] folded into InputTable)
    internal readonly PackedMatrix Head;         // W_headᵀ (H, V)
    internal readonly float[] HeadBias;          // (V)

    /// <summary>Snapshots <paramref name="model"/>; later changes to the model do not affect this copy.</summary>
    public InferenceModel(LstmModel model)
    {
        Config = model.Config;
        int v = Config.VocabSize, h = Config.HiddenSize, gw = 4 * h, layers = Config.Layers;
        Groups = (h + GroupUnits - 1) / GroupUnits;
        int width = 4 * GroupUnits * Groups;
        Weights = new PackedMatrix[layers];
        Bias = new float[layers][];
        var team = MatMul.CallerTeam;
        var layout = model.Layout;
        fixed (float* p = model.Parameters)
        {
            for (int l = 0; l < layers; l++)
            {
                var tensors = layout.Lstm[l];
                float* wih = p + tensors.InputWeights.Offset;
                float* whh = p + tensors.RecurrentWeights.Offset;
                var bias = new float[gw];
                TensorPrimitives.Add(model.View(tensors.InputBias), model.View(tensors.RecurrentBias), bias);
                Bias[l] = Regroup(bias, 1, h);
                var packed = Weights[l] = new PackedMatrix();
                int below = l == 0 ? 0 : h; // rows of W_ihᵀ stacked above W_hhᵀ (layer 0's input is in the table)
                packed.Reshape(below + h, width);
                for (int column = 0; column < width; column++)
                {
                    float* dst = packed.Column(column);
                    int source = SourceRow(column, h);
                    for (int q = 0; q < below + h; q++)
                        dst[(long)q * PackedMatrix.Width] = source < 0 ? 0f : q < below ? wih[(long)source * below + q] : whh[(long)source * h + (q - below)];
                }
            }

            // Table: the chain starts from the bias sum, as in the training forward.
            var first = layout.Lstm[0];
            var table = new float[v * gw];
            for (int r = 0; r < v; r++) TensorPrimitives.Add(model.View(first.InputBias), model.View(first.RecurrentBias), table.AsSpan(r * gw, gw));
            float* wih0 = p + first.InputWeights.Offset;
            if (layout.Embedding is null)
            {
                // One-hot row v of X·W_ihᵀ is column v of W_ih.
                for (int r = 0; r < v; r++)
                    for (int j = 0; j < gw; j++) table[r * gw + j] += wih0[(long)j * v + r];
            }
            else
            {
                var w = new PackedMatrix();
                w.Pack(team, MatrixView.Dense(wih0, gw, Config.EmbeddingSize).Transposed);
                fixed (float* t = table) MatMul.Multiply(team, MatrixView.Dense(t, v, gw), MatrixView.Dense(p + layout.Embedding.Offset, v,
                    Config.EmbeddingSize), w, accumulate: true);
            }
            InputTable = Regroup(table, v, h);
            Head = new PackedMatrix();
            Head.Pack(team, MatrixView.Dense(p + layout.HeadWeight.Offset, v, h).Transposed);
            HeadBias = model.View(layout.HeadBias).ToArray();
        }
    }

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>Bytes the snapshot holds: packed weights, the input table, the biases.</summary>
    public long BufferBytes => 4 * (InputTable.LongLength + Weights.Sum(w => w.Capacity) + Bias.Sum(b => b.LongLength) + Head.Capacity + HeadBias.LongLength);

    /// <summary>
    /// The bytes a snapshot of <paramref name="config"/> holds (<see cref="BufferBytes"/>), computed in 64 bits
    /// without allocating, so a model too large to generate from is refused before it is built.
    /// </summary>
    public static long EstimateBytes(ModelConfig config)
    {
        long h = config.HiddenSize, v = config.VocabSize, layers = config.Layers;
        long width = 4L * GroupUnits * ((h + GroupUnits - 1) / GroupUnits);
        long headColumns = (v + PackedMatrix.Width - 1) / PackedMatrix.Width * PackedMatrix.Width;
        long weights = h * width + (layers - 1) * 2 * h * width + layers * width + 16 * (layers + 1);
        return 4 * (v * width + weights + h * headColumns + v);
    }

    /// <summary>Gate groups: ⌈H / 16⌉.</summary>
    internal int Groups { get; }

    // Grouped column → PyTorch gate row (gate·H + unit), or −1 for padding past H.
    internal static int SourceRow(int column, int hidden)
    {
        int group = column / (4 * GroupUnits), gate = column / GroupUnits % 4, unit = group * GroupUnits + column % GroupUnits;
        return unit < hidden ? gate * hidden + unit : -1;
    }

    // (rows, 4H) in PyTorch gate order → (rows, 64·G) grouped, padding zero.
    private static float[] Regroup(float[] source, int rows, int hidden)
    {
        int groups = (hidden + GroupUnits - 1) / GroupUnits, width = 4 * GroupUnits * groups;
        var grouped = new float[rows * width];
        for (int r = 0; r < rows; r++)
            for (int column = 0; column < width; column++)
            {
                int s = SourceRow(column, hidden);
                if (s >= 0) grouped[r * width + column] = source[r * 4 * hidden + s];
            }
        return grouped;
    }
}
