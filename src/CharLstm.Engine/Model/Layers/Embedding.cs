using CharLstm.Numerics;

namespace CharLstm.Model.Layers;

/// <summary>
/// Layer 0's input side: each token through the embedding (or one-hot) and W_ih₀, with both biases.
/// A token is one of V, so its gate input is one of V rows: the table
/// <c>table[v] = (b_ih₀ + b_hh₀) + x(v) · W_ih₀ᵀ</c>, with x(v) = E[v] or onehot(v), is built once per
/// pass (V rows, not N) and gathered. Each row is the chain an N-row product would compute for that
/// token, so the same bits. The backward sums the gate gradients by token first and then works on V
/// rows too.
/// </summary>
/// <remarks>
/// <code>
/// parameters  E (V, Emb) unless one-hot · W_ih₀ (4H, In) · b_ih₀, b_hh₀ (4H)      In = Emb or V
/// Forward     tokens (N) → table (V, 4H) → gates (N, 4H) = table[tokens]
/// Backward    dGates (N, 4H) → S (V, 4H), S[v] = Σ dGates[r] over rows r whose token is v
///             db_ih₀ += Σ_v S[v], db_hh₀ likewise; dW_ih₀ += Sᵀ (one-hot) or Sᵀ · E; dE += S · W_ih₀
/// </code>
/// </remarks>
internal sealed unsafe class Embedding : LayerInput
{
    private readonly PassContext _ctx;
    private readonly ParameterTensor? _embedding;   // E (V, Emb), null for one-hot
    private readonly LstmLayerTensors _layer;        // layer 0's W_ih, biases
    private readonly int* _tokens;                   // (N) time-major input tokens, owned by the pass
    private readonly PinnedBuffer _table;            // (V, 4H) layer 0's gate input per token, biases included
    private readonly PinnedBuffer _dTable;           // (V, 4H) S: the gate gradients summed by token
    private readonly PackedMatrix _inputWeights = new(); // W_ih₀ᵀ (Emb, 4H) packed, for the table's product

    public Embedding(PassContext ctx, ParameterLayout layout, int* tokens)
    {
        _ctx = ctx;
        _embedding = layout.Embedding;
        _layer = layout.Lstm[0];
        _tokens = tokens;
        long size = (long)ctx.Config.VocabSize * 4 * ctx.Config.HiddenSize;
        _table = new PinnedBuffer(size);
        _dTable = new PinnedBuffer(size);
    }

    public override void Forward(float* parameters, float* gates)
    {
        var team = _ctx.Team;
        int v = _ctx.Config.VocabSize, gw = 4 * _ctx.Config.HiddenSize, inSize = _ctx.Config.InputSize;
        float* table = _table.Pointer, wih = parameters + _layer.InputWeights.Offset;
        RowJobs.FillBias(team, table, v, parameters + _layer.InputBias.Offset, parameters + _layer.RecurrentBias.Offset, gw);
        if (_embedding is null) MatMul.Transpose(MatrixView.Dense(table, v, gw), new MatrixView(wih, gw, v, inSize), accumulate: true); // table += W_ihᵀ
        else
        {
            _inputWeights.Pack(team, MatrixView.Dense(wih, gw, inSize).Transposed);
            MatMul.Multiply(team, MatrixView.Dense(table, v, gw), MatrixView.Dense(parameters + _embedding.Offset, v, inSize), _inputWeights, accumulate: true);
        }
        RowJobs.Gather(team, gates, table, _tokens, _ctx.Rows, gw);
        _ctx.Lap(StepPhase.InputProjection);
    }

    public override void Backward(float* parameters, float* gradients, float* dGates, MatrixView dRecurrentWeights, MatrixView previousHidden)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, v = _ctx.Config.VocabSize, gw = 4 * _ctx.Config.HiddenSize, inSize = _ctx.Config.InputSize;
        var activations = _ctx.PackedActivations;
        var dGT = MatrixView.Dense(dGates, n, gw).Transposed;
        activations.Pack(team, previousHidden);
        _ctx.Lap(StepPhase.Pack);
        MatMul.Multiply(team, dRecurrentWeights, dGT, activations, accumulate: true);
        _ctx.Lap(StepPhase.WeightGradients);

        float* byToken = _dTable.Pointer, dWih = gradients + _layer.InputWeights.Offset;
        _dTable.Span.Clear();
        RowJobs.ScatterAdd(team, byToken, dGates, _tokens, n, gw);
        _ctx.Lap(StepPhase.WeightGradients);
        // The bias gradients are Σ_v S[v]: V rows to add instead of N.
        RowJobs.ColumnSums(team, gradients + _layer.InputBias.Offset, gradients + _layer.RecurrentBias.Offset, byToken, v, gw);
        _ctx.Lap(StepPhase.BiasSums);
        if (_embedding is null) MatMul.Transpose(new MatrixView(dWih, gw, v, inSize), MatrixView.Dense(byToken, v, gw), accumulate: true); // dW_ih += Sᵀ
        else
        {
            float* e = parameters + _embedding.Offset;
            activations.Pack(team, MatrixView.Dense(e, v, inSize));
            MatMul.Multiply(team, MatrixView.Dense(dWih, gw, inSize), MatrixView.Dense(byToken, v, gw).Transposed, activations, accumulate: true);
            _ctx.Lap(StepPhase.WeightGradients);
            var weights = _ctx.PackedWeights;
            weights.Pack(team, MatrixView.Dense(parameters + _layer.InputWeights.Offset, gw, inSize));
            MatMul.Multiply(team, MatrixView.Dense(gradients + _embedding.Offset, v, inSize), MatrixView.Dense(byToken, v, gw), weights, accumulate: true);
            _ctx.Lap(StepPhase.InputGradients);
        }
        _ctx.Lap(StepPhase.WeightGradients);
    }

    public override long BufferBytes => 4 * ((long)_table.Length + _dTable.Length + _inputWeights.Capacity);
}
