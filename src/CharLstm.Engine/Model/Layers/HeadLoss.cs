using System.Runtime.CompilerServices;
using CharLstm.Numerics;
using CharLstm.Ops;

namespace CharLstm.Model.Layers;

/// <summary>
/// The head and the loss: a linear layer to the vocabulary, softmax, and the mean cross-entropy
/// over all N positions (PyTorch's <c>F.cross_entropy</c>).
/// </summary>
/// <remarks>
/// <code>
/// parameters  W_head (V, H) · b_head (V)
/// Forward     y (N, H) → logits (N, V) = b_head + y · W_headᵀ; probs = softmax(logits) row by row
///             loss = (1/N) Σ_r −log probs[r, target_r]   (summed in row order, in double)
/// Backward    dLogits = (probs − onehot(target)) / N
///             dW_head += dLogitsᵀ · y;  db_head += Σ_r dLogits[r];  dy (N, H) = dLogits · W_head
/// </code>
/// </remarks>
internal sealed unsafe class HeadLoss
{
    private readonly PassContext _ctx;
    private readonly ParameterTensor _weight, _bias;
    private readonly int* _targets;                    // (N) time-major targets, owned by the pass
    private readonly PackedMatrix _weights = new();    // W_headᵀ (H, V) packed
    private readonly PinnedBuffer _logits;             // (N, V)
    private readonly PinnedBuffer _probs;              // (N, V)
    private readonly PinnedBuffer _dLogits;            // (N, V)
    private readonly double[] _rowLoss;                // (N): −log p[target] per row

    public HeadLoss(PassContext ctx, ParameterLayout layout, int* targets)
    {
        _ctx = ctx;
        _weight = layout.HeadWeight;
        _bias = layout.HeadBias;
        _targets = targets;
        long size = (long)ctx.Rows * ctx.Config.VocabSize;
        _logits = new PinnedBuffer(size);
        _probs = new PinnedBuffer(size);
        _dLogits = new PinnedBuffer(size);
        _rowLoss = GC.AllocateArray<double>(ctx.Rows, pinned: true);
    }

    /// <summary>Logits of the last forward, time-major (T, B, V).</summary>
    public ReadOnlySpan<float> Logits => _logits.Span;

    /// <summary>Logits, probabilities and the mean loss (nats) of <paramref name="y"/> (N, H).</summary>
    public float Forward(float* parameters, MatrixView y)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, v = _ctx.Config.VocabSize, h = y.Columns;
        _weights.Pack(team, MatrixView.Dense(parameters + _weight.Offset, v, h).Transposed);
        _ctx.Lap(StepPhase.Pack);
        RowJobs.FillBias(team, _logits.Pointer, n, parameters + _bias.Offset, null, v);
        MatMul.Multiply(team, MatrixView.Dense(_logits.Pointer, n, v), y, _weights, accumulate: true);
        _ctx.Lap(StepPhase.Head);
        fixed (double* rowLoss = _rowLoss)
        {
            var lossJob = new LossJob { Logits = _logits.Pointer, Probs = _probs.Pointer, Targets = _targets, RowLoss = rowLoss, Vocab = v };
            team.For(n, 16, &LossRows, &lossJob);
        }
        _ctx.Lap(StepPhase.Loss);
        double sum = 0;
        for (int r = 0; r < n; r++) sum += _rowLoss[r];
        return (float)(sum / n);
    }

    /// <summary>Adds dW_head and db_head into <paramref name="gradients"/> and writes dL/dy (N, H) into the pass's DOutput.</summary>
    public void Backward(float* parameters, float* gradients, MatrixView y)
    {
        var team = _ctx.Team;
        int n = _ctx.Rows, v = _ctx.Config.VocabSize, h = y.Columns;
        float* dLogits = _dLogits.Pointer;
        var lossJob = new LossJob { Logits = dLogits, Probs = _probs.Pointer, Targets = _targets, Vocab = v, Scale = 1f / n };
        team.For(n, 16, &LossBackwardRows, &lossJob);
        _ctx.Lap(StepPhase.Loss);

        var activations = _ctx.PackedActivations;
        activations.Pack(team, y);
        _ctx.Lap(StepPhase.Pack);
        MatMul.Multiply(team, MatrixView.Dense(gradients + _weight.Offset, v, h), MatrixView.Dense(dLogits, n, v).Transposed, activations, accumulate: true);
        _ctx.Lap(StepPhase.WeightGradients);
        RowJobs.ColumnSums(team, gradients + _bias.Offset, null, dLogits, n, v);
        _ctx.Lap(StepPhase.BiasSums);
        var weights = _ctx.PackedWeights;
        weights.Pack(team, MatrixView.Dense(parameters + _weight.Offset, v, h));
        _ctx.Lap(StepPhase.Pack);
        MatMul.Multiply(team, MatrixView.Dense(_ctx.DOutput.Pointer, n, h), MatrixView.Dense(dLogits, n, v), weights, accumulate: false);
        _ctx.Lap(StepPhase.InputGradients);
    }

    /// <summary>Bytes held (the packed weights count once used).</summary>
    public long BufferBytes => 4 * ((long)_logits.Length + _probs.Length + _dLogits.Length + 2L * _rowLoss.Length + _weights.Capacity);

    private struct LossJob
    {
        public float* Logits, Probs;
        public int* Targets;
        public double* RowLoss;
        public int Vocab;
        public float Scale;
    }

    // probs[r] = softmax(logits[r]); rowLoss[r] = −log probs[r][target].
    private static void LossRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<LossJob>(state);
        int v = job.Vocab;
        for (int r = start; r < end; r++)
        {
            job.RowLoss[r] = SoftmaxCrossEntropy.Forward(new Span<float>(job.Probs + (long)r * v, v), new ReadOnlySpan<float>(job.Logits + (long)r * v, v),
                job.Targets[r]);
        }
    }

    // dLogits[r] = (probs[r] − onehot(target)) · scale.  (Logits holds dLogits here.)
    private static void LossBackwardRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<LossJob>(state);
        int v = job.Vocab;
        SoftmaxCrossEntropy.Backward(new Span<float>(job.Logits + (long)start * v, (end - start) * v),
            new ReadOnlySpan<float>(job.Probs + (long)start * v, (end - start) * v),
            new ReadOnlySpan<int>(job.Targets + start, end - start), end - start, v, job.Scale);
    }
}
