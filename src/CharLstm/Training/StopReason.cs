namespace CharLstm.Training;

/// <summary>Why training stopped.</summary>
public enum StopReason
{
    /// <summary>All epochs done.</summary>
    Epochs,
    /// <summary>--max-steps reached.</summary>
    MaxSteps,
    /// <summary>--time budget used.</summary>
    TimeBudget,
    /// <summary>Cancelled (Ctrl-C).</summary>
    Cancelled,
    /// <summary>Too many non-finite steps in a row.</summary>
    NonFinite,
    /// <summary>The loss stayed far above an untrained model's (see <see cref="Trainer.DivergenceLoss"/>).</summary>
    Diverged,
    /// <summary>--patience validation passes in a row without a new best (early stopping).</summary>
    NoImprovement,
}
