namespace CharLstm.Training;

/// <summary>Total cross-entropy of a text, and how many characters it scored.</summary>
/// <param name="SumNats">Σ −ln p(next | all before it in its stream).</param>
/// <param name="Count">Characters scored.</param>
public readonly record struct LossSum(double SumNats, long Count)
{
    /// <summary>Mean loss in nats per character (NaN when nothing was scored).</summary>
    public double MeanNats => Count == 0 ? double.NaN : SumNats / Count;
    /// <summary>Mean loss in bits per character.</summary>
    public double BitsPerChar => MeanNats / Math.Log(2);
}
