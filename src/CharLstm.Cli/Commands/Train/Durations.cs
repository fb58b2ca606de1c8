using System.Globalization;
using System.Text.RegularExpressions;

namespace CharLstm.Cli.Commands.Train;

/// <summary>Human durations: 90s, 10m, 1h30m, 2h, or hh:mm:ss.</summary>
internal static partial class Durations
{
    /// <summary>The longest duration accepted: a year of training is already more than anyone waits.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(366);

    public static TimeSpan Parse(string text, string option)
    {
        TimeSpan? total = null;
        if (text.Contains(':') && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)) total = span;
        else if (Units().Match(text.Trim()) is { Success: true } m && text.Trim().Length > 0)
        {
            double Part(int g) => m.Groups[g].Success ? double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
            double seconds = Part(1) * 3600 + Part(2) * 60 + Part(3);
            // Checked in seconds first: TimeSpan itself overflows past about 29,000 years.
            if (seconds > Longest.TotalSeconds)
                throw new UsageException($"{option}: '{text}' is longer than the longest run accepted ({Longest.TotalHours:N0}h); give a shorter time.");
            total = TimeSpan.FromSeconds(seconds);
        }
        if (total > Longest)
            throw new UsageException($"{option}: '{text}' is longer than the longest run accepted ({Longest.TotalHours:N0}h); give a shorter time.");
        if (total > TimeSpan.Zero) return total.Value;
        throw new UsageException($"{option}: '{text}' is not a positive duration; write it like 90s, 10m, 1h30m or 00:10:00.");
    }

    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")]
    private static partial Regex Units();
}
