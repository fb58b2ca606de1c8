namespace CharLstm.Training;

/// <summary>What to write: the latest state, or a new best model too.</summary>
/// <param name="IsBest">The latest evaluation was the best so far: write the best model too.</param>
/// <param name="Final">The run is ending.</param>
public sealed record SaveRequest(bool IsBest, bool Final);
