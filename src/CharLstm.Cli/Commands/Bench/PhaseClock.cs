using System.Diagnostics;
using CharLstm.Model;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>
/// Splits wall time into phases: each <see cref="Lap"/> charges the time since the previous lap to a
/// phase. Costs one timestamp per lap, and nothing when no clock is attached.
/// </summary>
internal sealed class PhaseClock : IStepProfiler
{
    private readonly long[] _ticks = new long[Enum.GetValues<StepPhase>().Length];
    private long _last = Stopwatch.GetTimestamp();

    /// <summary>Starts timing from now (the time since the last lap is not charged).</summary>
    public void Restart() => _last = Stopwatch.GetTimestamp();

    /// <summary>Charges the time since the last lap to <paramref name="phase"/>.</summary>
    public void Lap(StepPhase phase)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[(int)phase] += now - _last;
        _last = now;
    }

    /// <summary>Seconds per phase, largest first, phases with time only.</summary>
    public IEnumerable<(string Phase, double Seconds)> Totals() =>
        Enum.GetValues<StepPhase>().Select(p => (p.ToString(),
            _ticks[(int)p] / (double)Stopwatch.Frequency)).Where(t => t.Item2 > 0).OrderByDescending(t => t.Item2);
}
