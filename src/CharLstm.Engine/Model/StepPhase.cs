namespace CharLstm.Model;

/// <summary>
/// The phases a training or generation step is cut into for a profile (see <see cref="IStepProfiler"/>).
/// Generation uses <see cref="LayerProducts"/> (a layer's gate rows started from its bias or table
/// row, then <c>[x ; h] · [W_ih ; W_hh]ᵀ</c> in one product), <see cref="CellForward"/>, <see cref="Wait"/>
/// (at the team's barriers), <see cref="Head"/>, <see cref="Sampling"/> and <see cref="Other"/>.
/// </summary>
public enum StepPhase
{
    /// <summary>Packing a matrix into panels for a product.</summary>
    Pack,
    /// <summary>Training: the input side of the layers (layer 0's token table and gather, x·W_ihᵀ above).</summary>
    InputProjection,
    /// <summary>Training: the per-step products h·W_hhᵀ.</summary>
    Recurrent,
    /// <summary>The LSTM cell forward.</summary>
    CellForward,
    /// <summary>The head's product.</summary>
    Head,
    /// <summary>Training: softmax, cross-entropy and its gradient.</summary>
    Loss,
    /// <summary>Training: the LSTM cell backward.</summary>
    CellBackward,
    /// <summary>Training: the per-step products dG·W_hh of backprop through time.</summary>
    RecurrentBackward,
    /// <summary>Training: the weight-gradient products.</summary>
    WeightGradients,
    /// <summary>Training: the bias gradients (column sums).</summary>
    BiasSums,
    /// <summary>Training: the gradients for the layer below (dG·W_ih, dLogits·W_head, dE).</summary>
    InputGradients,
    /// <summary>Training: the optimizer step.</summary>
    Optimizer,
    /// <summary>Generation: a layer's products.</summary>
    LayerProducts,
    /// <summary>Generation: waiting at the team's barriers.</summary>
    Wait,
    /// <summary>Generation: drawing the next characters.</summary>
    Sampling,
    /// <summary>Everything else.</summary>
    Other,
}
