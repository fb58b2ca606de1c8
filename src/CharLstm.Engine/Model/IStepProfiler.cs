namespace CharLstm.Model;

/// <summary>
/// Receives where a step's time goes: the engine calls <see cref="Lap"/> after each phase of a
/// training pass (<see cref="NetworkPass.Profiler"/>) or of a generation step (on the calling
/// thread, <see cref="InferenceSession.Profiler"/>). Nothing is called when no profiler is attached.
/// The bench verb's <c>--profile</c> is the one implementation.
/// </summary>
public interface IStepProfiler
{
    /// <summary>A pass starts: time until now belongs to no phase.</summary>
    void Restart();

    /// <summary>The time since the previous call belongs to <paramref name="phase"/>.</summary>
    void Lap(StepPhase phase);
}
