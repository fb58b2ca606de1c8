using CharLstm.Numerics;

namespace CharLstm.Model.Layers;

/// <summary>
/// The input side of an LSTM layer above the first: the output of the layer below.
/// </summary>
/// <remarks>
/// <code>
/// parameters  W_ih (4H, H) · b_ih, b_hh (4H)
/// Forward     x (N, H) = the layer below's output → gates (N, 4H) = (b_ih + b_hh) + x · W_ihᵀ
/// Backward    dGates (N, 4H) → dW_ih += dGᵀ · x and the layer's dW_hh += dGᵀ · H_prev (one product
///             when H is a whole number of 16-column panels);
///             db_ih += Σ_r dGates[r], db_hh likewise; dx (N, H) = dGates · W_ih into the below layer's dOutput
/// </code>
/// </remarks>
internal sealed unsafe class HiddenInput : LayerInput
{
    private readonly PassContext _ctx;
    private readonly LstmLayerTensors _layer;
    private readonly LstmLayer _below;
    private readonly PackedMatrix _inputWeights = new(); // W_ihᵀ (H, 4H) packed

    public HiddenInput(PassContext ctx, LstmLayerTensors layer, LstmLayer below)
    {
        _ctx = ctx;
        _layer = layer;
        _below = below;
    }

    public override void Forward(float* parameters, float* gates)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, gw = 4 * _ctx.Config.HiddenSize;
        var x = _below.Output;
        _inputWeights.Pack(team, MatrixView.Dense(parameters + _layer.InputWeights.Offset, gw, x.Columns).Transposed);
        _ctx.Lap(StepPhase.Pack);
        RowJobs.FillBias(team, gates, n, parameters + _layer.InputBias.Offset, parameters + _layer.RecurrentBias.Offset, gw);
        _ctx.Lap(StepPhase.InputProjection);
        MatMul.Multiply(team, MatrixView.Dense(gates, n, gw), x, _inputWeights, accumulate: true);
        _ctx.Lap(StepPhase.InputProjection);
    }

    public override void Backward(float* parameters, float* gradients, float* dGates, MatrixView dRecurrentWeights, MatrixView previousHidden)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, gw = 4 * _ctx.Config.HiddenSize;
        var x = _below.Output;
        var dGT = MatrixView.Dense(dGates, n, gw).Transposed;
        var dInputWeights = MatrixView.Dense(gradients + _layer.InputWeights.Offset, gw, x.Columns);
        var activations = _ctx.PackedActivations;
        if (x.Columns % PackedMatrix.Width == 0)
        {
            // Both products have A = dGᵀ: one product over B = [x | H_prev] packs dGᵀ once and gives
            // each packed row block twice the columns (the same chain per element, so the same bits).
            activations.PackSideBySide(team, x, previousHidden);
            _ctx.Lap(StepPhase.Pack);
            MatMul.MultiplySplit(team, dInputWeights, dRecurrentWeights, dGT, activations, accumulate: true);
            _ctx.Lap(StepPhase.WeightGradients);
        }
        else
        {
            // A width inside a panel cannot be split there: two products.
            activations.Pack(team, previousHidden);
            _ctx.Lap(StepPhase.Pack);
            MatMul.Multiply(team, dRecurrentWeights, dGT, activations, accumulate: true);
            _ctx.Lap(StepPhase.WeightGradients);
            activations.Pack(team, x);
            _ctx.Lap(StepPhase.Pack);
            MatMul.Multiply(team, dInputWeights, dGT, activations, accumulate: true);
            _ctx.Lap(StepPhase.WeightGradients);
        }
        RowJobs.ColumnSums(team, gradients + _layer.InputBias.Offset, gradients + _layer.RecurrentBias.Offset, dGates, n, gw);
        _ctx.Lap(StepPhase.BiasSums);

        // The gradient for the layer below: dx = dG · W_ih.
        var weights = _ctx.PackedWeights;
        weights.Pack(team, MatrixView.Dense(parameters + _layer.InputWeights.Offset, gw, x.Columns));
        _ctx.Lap(StepPhase.Pack);
        MatMul.Multiply(team, MatrixView.Dense(_ctx.DOutput.Pointer, n, x.Columns), MatrixView.Dense(dGates, n, gw), weights, accumulate: false);
        _ctx.Lap(StepPhase.InputGradients);
    }

    public override long BufferBytes => 4 * _inputWeights.Capacity;
}
