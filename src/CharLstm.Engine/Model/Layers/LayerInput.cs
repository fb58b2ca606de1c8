using CharLstm.Numerics;

namespace CharLstm.Model.Layers;

/// <summary>
/// The input side of an LSTM layer: <c>gates = b_ih + b_hh + x · W_ihᵀ</c> for all T steps at once, and
/// its backward. Layer 0's input is a token (<see cref="Embedding"/>), the others' the output of the
/// layer below (<see cref="HiddenInput"/>); the layer itself (<see cref="LstmLayer"/>) is the same code
/// for every depth.
/// </summary>
internal abstract unsafe class LayerInput
{
    /// <summary>gates (N, 4H) = b_ih + b_hh + x · W_ihᵀ.</summary>
    public abstract void Forward(float* parameters, float* gates);

    /// <summary>
    /// From the layer's gate gradients <paramref name="dGates"/> (N, 4H): adds dW_ih, db_ih and db_hh
    /// into <paramref name="gradients"/>, and the layer's recurrent weight gradient
    /// <c>dRecurrentWeights += dGᵀ · previousHidden</c> — a product with the same A = dGᵀ, which an
    /// input with activations of its own computes in one product with dW_ih; then the gradient for
    /// whatever lies below.
    /// </summary>
    public abstract void Backward(float* parameters, float* gradients, float* dGates, MatrixView dRecurrentWeights, MatrixView previousHidden);

    /// <summary>Bytes of the buffers this input holds.</summary>
    public abstract long BufferBytes { get; }
}
