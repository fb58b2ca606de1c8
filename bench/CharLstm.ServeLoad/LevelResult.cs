namespace CharLstm.ServeLoad;

/// <summary>One concurrency level's figures: statuses, latency percentiles, throughput, text checks and memory.</summary>
internal sealed record LevelResult(
    int Clients,
    double Seconds,
    int Completed,
    int TooMany,
    int ServerErrors,
    int OtherFailures,
    int Mismatched,
    long Characters,
    double FirstCharacterP50Ms,
    double FirstCharacterP99Ms,
    double PerCharacterP50Ms,
    double PerCharacterP99Ms,
    double MemoryAfterMb)
{
    /// <summary>Characters received per second, all clients together.</summary>
    public double CharactersPerSecond => Characters / Seconds;

    /// <summary>The value below which <paramref name="p"/> of the sorted values lie (nearest rank).</summary>
    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        values.Sort();
        int rank = (int)Math.Ceiling(p * values.Count) - 1;
        return values[Math.Clamp(rank, 0, values.Count - 1)];
    }
}
