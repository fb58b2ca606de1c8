using System.Diagnostics;

namespace CharLstm.Benchmarking;

/// <summary>
/// Where a training or generation step's time goes (the bench verb's <c>--profile</c>). Generation
/// uses <see cref="LayerProducts"/> (a layer's gate rows started from its bias or table row, then
/// <c>[x ; h] · [W_ih ; W_hh]ᵀ</c> in one product), <see cref="CellForward"/>, <see cref="Wait"/> (at
/// the team's barriers), <see cref="Head"/>, <see cref="Sampling"/> and <see cref="Other"/>.
/// </summary>
internal enum Phase { Pack, InputProjection, Recurrent, CellForward, Head, Loss, CellBackward, RecurrentBackward, WeightGradients, BiasSums, InputGradients, Optimizer, LayerProducts, Wait, Sampling, Other }

/// <summary>
/// Splits wall time into phases: each <see cref="Lap"/> charges the time since the previous lap to a
/// phase. Costs one timestamp per lap, and nothing when no clock is attached.
/// </summary>
internal sealed class PhaseClock
{
    private readonly long[] _ticks = new long[Enum.GetValues<Phase>().Length];
    private long _last = Stopwatch.GetTimestamp();

    /// <summary>Starts timing from now (the time since the last lap is not charged).</summary>
    public void Restart() => _last = Stopwatch.GetTimestamp();

    /// <summary>Charges the time since the last lap to <paramref name="phase"/>.</summary>
    public void Lap(Phase phase)
    {
        long now = Stopwatch.GetTimestamp();
        _ticks[(int)phase] += now - _last;
        _last = now;
    }

    /// <summary>Seconds per phase, largest first, phases with time only.</summary>
    public IEnumerable<(string Phase, double Seconds)> Totals() =>
        Enum.GetValues<Phase>().Select(p => (p.ToString(), _ticks[(int)p] / (double)Stopwatch.Frequency)).Where(t => t.Item2 > 0).OrderByDescending(t => t.Item2);
}
