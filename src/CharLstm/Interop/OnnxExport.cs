using CharLstm.IO;
using CharLstm.Model;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CharLstm.Interop;

/// <summary>
/// The model as an ONNX graph that ONNX Runtime (or any ONNX backend) runs without CharLstm: layer 0's input as a
/// <c>Gather</c>, one standard ONNX <c>LSTM</c> node per layer, the head as <c>MatMul</c> + <c>Add</c>, and the
/// model file's metadata (vocabulary, hyperparameters, text options, training summary) in <c>metadata_props</c>.
/// </summary>
/// <remarks>
/// <para>The protobuf is written by Google.Protobuf from classes that protoc generates at build time from ONNX's own
/// schema (<c>src/CharLstm/Interop/onnx.proto3</c>, ONNX v1.22.0), so every byte follows the schema.</para>
/// <para>Gate rows: PyTorch (and the model file) order each layer's rows i, f, g, o; ONNX's <c>LSTM</c> wants i, o, f,
/// c (c being PyTorch's g), so W, R and both biases are reordered here. <c>B</c> is <c>[b_ih ; b_hh]</c>.</para>
/// <para>Layer 0's input: an embedding model gathers rows of <c>embedding.weight</c> [V, E]; a one-hot model gathers
/// rows of the V × V identity (made in the graph by <c>EyeLike</c>, not stored), which are the one-hot vectors. Either
/// way the first LSTM node has W = W_ih, so a one-hot model costs V × 4H multiply-adds per character there, as in
/// PyTorch, where gathering rows of W_ihᵀ would leave the node a 4H × 4H identity to multiply by.</para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graphs use: 17, the newest that ONNX 1.12's checker knows (Debian 12's python3-onnx).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version of the file: 8, the one that goes with opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>The input of character ids, int64 [T, B] (time first; [1, B] in the step graph).</summary>
    public const string IdsInput = "ids";
    /// <summary>The input of every layer's hidden state before the first character, float [L, B, H].</summary>
    public const string HiddenInput = "h0";
    /// <summary>The input of every layer's cell state before the first character, float [L, B, H].</summary>
    public const string CellInput = "c0";
    /// <summary>The output of the next character's logits after each input character, float [T, B, V].</summary>
    public const string LogitsOutput = "logits";
    /// <summary>The output of every layer's hidden state after the last character, float [L, B, H].</summary>
    public const string HiddenOutput = "hN";
    /// <summary>The output of every layer's cell state after the last character, float [L, B, H].</summary>
    public const string CellOutput = "cN";

    /// <summary>The metadata key that names the graph (<c>sequence</c> or <c>step</c>), besides the model file's keys.</summary>
    public const string GraphKey = "charlstm.onnx_graph";

    // The protobuf encoding of one message is limited to 2 GB; keep a margin for the graph and the metadata.
    private const long MaxTensorBytes = int.MaxValue - (64L << 20);

    // ONNX block j (i, o, f, c) is PyTorch's block GateSource[j] (i, f, g, o).
    private static readonly int[] GateSource = [0, 3, 1, 2];

    /// <summary>The name a graph has in messages and metadata: <c>sequence</c> or <c>step</c>.</summary>
    public static string Name(OnnxGraph graph) => graph switch
    {
        OnnxGraph.Sequence => "sequence",
        OnnxGraph.Step => "step",
        _ => throw new ArgumentOutOfRangeException(nameof(graph), graph, "not a graph"),
    };

    /// <summary>Writes the ONNX file to <paramref name="path"/> atomically (a crash leaves any old file as it was).</summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the network's.</exception>
    /// <exception cref="InvalidOperationException">The model is too large for one ONNX protobuf (2 GB).</exception>
    public static void Save(string path, ModelFileContents model, OnnxGraph graph = OnnxGraph.Sequence)
    {
        var proto = Build(model, graph);
        AtomicFile.Write(path, proto.WriteTo);
    }

    /// <summary>The ONNX file's bytes.</summary>
    /// <exception cref="ArgumentException">The vocabulary's size differs from the network's.</exception>
    /// <exception cref="InvalidOperationException">The model is too large for one ONNX protobuf (2 GB).</exception>
    public static byte[] ToBytes(ModelFileContents model, OnnxGraph graph = OnnxGraph.Sequence) => Build(model, graph).ToByteArray();

    /// <summary>The ONNX model of <paramref name="model"/> as <paramref name="graph"/>.</summary>
    internal static ModelProto Build(ModelFileContents model, OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(model);
        var metadata = ModelFile.Metadata(model); // checks the vocabulary against the network
        var network = model.Network;
        var c = network.Config;
        long bytes = 4L * network.Parameters.Length;
        if (bytes > MaxTensorBytes)
            throw new InvalidOperationException($"the model's weights take {bytes:N0} bytes, more than one ONNX file can hold "
                + $"without external data ({MaxTensorBytes:N0}).");

        string name = Name(graph);
        var g = new GraphProto
        {
            Name = $"charlstm_{name}",
            DocString = $"CharLstm character LSTM, {name} graph: {c.Layers} LSTM layer(s) of {c.HiddenSize} units over "
                + (c.OneHot ? "one-hot input" : $"a {c.EmbeddingSize}-wide embedding") + $", {c.VocabSize} characters. "
                + "ids [T, B] int64 (time first) and h0, c0 [L, B, H] give logits [T, B, V] and hN, cN [L, B, H].",
        };
        var time = graph == OnnxGraph.Step ? Dim(1) : Dim("T");
        var batch = Dim("B");
        g.Input.Add(Value(IdsInput, DataType.Int64, "Character ids (vocabulary indices), time first.", time, batch));
        g.Input.Add(Value(HiddenInput, DataType.Float, "Hidden state of each layer before the first character (zeros: a fresh stream).",
            Dim(c.Layers), batch, Dim(c.HiddenSize)));
        g.Input.Add(Value(CellInput, DataType.Float, "Cell state of each layer before the first character (zeros: a fresh stream).",
            Dim(c.Layers), batch, Dim(c.HiddenSize)));
        g.Output.Add(Value(LogitsOutput, DataType.Float, "Logits of the next character after each input character (softmax gives "
            + "the probabilities).", time, batch, Dim(c.VocabSize)));
        g.Output.Add(Value(HiddenOutput, DataType.Float, "Hidden state of each layer after the last character.",
            Dim(c.Layers), batch, Dim(c.HiddenSize)));
        g.Output.Add(Value(CellOutput, DataType.Float, "Cell state of each layer after the last character.",
            Dim(c.Layers), batch, Dim(c.HiddenSize)));

        AddLayers(g, network);

        var m = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "charlstm",
            ProducerVersion = ProducerVersion(),
            DocString = g.DocString,
            Graph = g,
        };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        metadata[GraphKey] = name;
        foreach (var (key, value) in metadata.OrderBy(e => e.Key, StringComparer.Ordinal))
            m.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return m;
    }

    // Layer 0's input, the LSTM nodes, the states gathered back to [L, B, H], and the head.
    private static void AddLayers(GraphProto g, LstmModel network)
    {
        var c = network.Config;
        var layout = network.Layout;
        int h = c.HiddenSize, v = c.VocabSize, layers = c.Layers;
        // Axis 0 selects a layer's state (Slice) and adds the direction axis to W (Unsqueeze); axis 1 drops it from Y (Squeeze).
        if (layers > 1) g.Initializer.Add(Int64s("axes_0", [0]));
        g.Initializer.Add(Int64s("axes_1", [1]));
        string x;
        if (layout.Embedding is { } embedding)
        {
            g.Initializer.Add(Tensor("embedding.weight", network.View(embedding).ToArray(), v, c.EmbeddingSize));
            x = Node(g, "Gather", "embedding", [embedding.Name, IdsInput], Int("axis", 0));
        }
        else
        {
            // One-hot: row v of the V × V identity is the one-hot vector of v.
            g.Initializer.Add(Int64s("one_hot_shape", [v, v]));
            string zeros = Node(g, "ConstantOfShape", "one_hot_zeros", ["one_hot_shape"]);
            string eye = Node(g, "EyeLike", "one_hot_table", [zeros]);
            x = Node(g, "Gather", "one_hot", [eye, IdsInput], Int("axis", 0));
        }

        var finalH = new List<string>();
        var finalC = new List<string>();
        for (int k = 0; k < layers; k++)
        {
            var t = layout.Lstm[k];
            int input = c.LayerInputSize(k);
            string w = $"lstm.W_l{k}";
            g.Initializer.Add(Tensor(w, Reorder(network.View(t.InputWeights), h, input), 1, 4 * h, input));
            string r = $"lstm.R_l{k}", b = $"lstm.B_l{k}";
            g.Initializer.Add(Tensor(r, Reorder(network.View(t.RecurrentWeights), h, h), 1, 4 * h, h));
            g.Initializer.Add(Tensor(b, [.. Reorder(network.View(t.InputBias), h, 1), .. Reorder(network.View(t.RecurrentBias), h, 1)], 1, 8 * h));

            string h0 = HiddenInput, c0 = CellInput;
            if (layers > 1)
            {
                g.Initializer.Add(Int64s($"layer_{k}", [k]));
                g.Initializer.Add(Int64s($"layer_{k}_end", [k + 1]));
                h0 = Node(g, "Slice", $"h0_l{k}", [HiddenInput, $"layer_{k}", $"layer_{k}_end", "axes_0"]);
                c0 = Node(g, "Slice", $"c0_l{k}", [CellInput, $"layer_{k}", $"layer_{k}_end", "axes_0"]);
            }
            var lstm = new NodeProto { Name = $"lstm_l{k}", OpType = "LSTM" };
            lstm.Input.AddRange([x, w, r, b, "", h0, c0]);
            lstm.Output.AddRange([$"lstm_l{k}_Y", $"lstm_l{k}_Y_h", $"lstm_l{k}_Y_c"]);
            lstm.Attribute.Add(Int("hidden_size", h));
            lstm.Attribute.Add(new AttributeProto
            {
                Name = "direction", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("forward"),
            });
            g.Node.Add(lstm);
            // Y is [T, 1, B, H] (one direction): drop the direction axis for the next layer or the head.
            x = Node(g, "Squeeze", $"y_l{k}", [$"lstm_l{k}_Y", "axes_1"]);
            finalH.Add($"lstm_l{k}_Y_h");
            finalC.Add($"lstm_l{k}_Y_c");
        }
        Node(g, "Concat", "hN", [.. finalH], Int("axis", 0), output: HiddenOutput);
        Node(g, "Concat", "cN", [.. finalC], Int("axis", 0), output: CellOutput);

        g.Initializer.Add(Tensor("head.weight_t", Transpose(network.View(layout.HeadWeight), v, h), h, v));
        g.Initializer.Add(Tensor("head.bias", network.View(layout.HeadBias).ToArray(), v));
        string product = Node(g, "MatMul", "head_matmul", [x, "head.weight_t"]);
        Node(g, "Add", "head_bias", [product, "head.bias"], output: LogitsOutput);
    }

    /// <summary>Rows of a (4H, cols) gate tensor from PyTorch's order i, f, g, o to ONNX's i, o, f, c.</summary>
    internal static float[] Reorder(ReadOnlySpan<float> rows, int hidden, int cols)
    {
        int block = hidden * cols;
        var reordered = new float[4 * block];
        for (int j = 0; j < 4; j++) rows.Slice(GateSource[j] * block, block).CopyTo(reordered.AsSpan(j * block, block));
        return reordered;
    }

    private static float[] Transpose(ReadOnlySpan<float> m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
        return t;
    }

    // Adds a node with one output (named after the node unless given) and returns the output's name.
    private static string Node(GraphProto g, string op, string name, string[] inputs, AttributeProto? attribute = null, string? output = null)
    {
        var node = new NodeProto { Name = name, OpType = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output ?? name);
        if (attribute is not null) node.Attribute.Add(attribute);
        g.Node.Add(node);
        return output ?? name;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static TensorProto Tensor(string name, float[] data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float };
        t.Dims.AddRange(dims);
        t.FloatData.AddRange(data);
        return t;
    }

    private static TensorProto Int64s(string name, long[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64 };
        t.Dims.Add(data.Length);
        t.Int64Data.AddRange(data);
        return t;
    }

    private static TensorShapeProto.Types.Dimension Dim(long value) => new() { DimValue = value };

    private static TensorShapeProto.Types.Dimension Dim(string parameter) => new() { DimParam = parameter };

    private static ValueInfoProto Value(string name, DataType type, string doc, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto
        {
            Name = name,
            DocString = doc,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    // The library's version, as the model file's training summary records the tool's.
    private static string ProducerVersion() => typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
