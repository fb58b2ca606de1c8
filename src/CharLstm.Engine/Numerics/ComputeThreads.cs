namespace CharLstm.Numerics;

/// <summary>How many compute threads the engine accepts: the one place this range is written.</summary>
public static class ComputeThreads
{
    /// <summary>Most compute threads a team may have.</summary>
    public const int Max = 256;

    /// <summary>True when <paramref name="threads"/> is in 1..<see cref="Max"/>.</summary>
    public static bool IsValid(int threads) => threads is >= 1 and <= Max;

    /// <summary>The message for a thread count out of range, naming it as <paramref name="name"/>.</summary>
    public static string RangeMessage(string name, int threads) => $"{name} must be 1 to {Max}, got {threads}.";
}
