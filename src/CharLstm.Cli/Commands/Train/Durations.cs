namespace CharLstm.Cli.Commands.Train;

/// <summary>Human durations: 90s, 10m, 1h30m, 2h, or hh:mm:ss.</summary>
internal static class Durations
{
    public static TimeSpan Parse(string text, string option)
    {
        if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) && text.Contains(':') && span > TimeSpan.Zero) return span;
        var m = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$");
        if (m.Success && text.Trim().Length > 0)
        {
            double Part(int g) => m.Groups[g].Success ? double.Parse(m.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var total = TimeSpan.FromHours(Part(1)) + TimeSpan.FromMinutes(Part(2)) + TimeSpan.FromSeconds(Part(3));
            if (total > TimeSpan.Zero) return total;
        }
        throw new UsageException($"{option}: '{text}' is not a positive duration; write it like 90s, 10m, 1h30m or 00:10:00.");
    }
}
