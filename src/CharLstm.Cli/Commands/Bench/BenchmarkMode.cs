namespace CharLstm.Cli.Commands.Bench;

/// <summary>What the bench verb measures.</summary>
public enum BenchmarkMode
{
    /// <summary>Characters per second of whole training steps (forward, backward, clip 5, Adam 2e-3).</summary>
    Train,
    /// <summary>Characters per second of sampling at temperature 1, one character per stream per step.</summary>
    Generate,
    /// <summary>GFLOP/s of the engine's matrix multiply on the shapes the LSTM uses.</summary>
    Sgemm,
    /// <summary>
    /// GFLOP/s of independent fused multiply-adds held in registers on every thread at once (no
    /// memory traffic): the arithmetic ceiling of this machine at this moment, for judging the others.
    /// </summary>
    Peak,
}
