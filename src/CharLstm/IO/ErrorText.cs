using System.Text.RegularExpressions;

namespace CharLstm.IO;

/// <summary>
/// An exception's message as a user should read it: without what only a programmer needs, such as
/// ArgumentException's "(Parameter 'path')" or a JSON reader's "Path: $ | LineNumber: 0 | BytePositionInLine: 3".
/// </summary>
public static partial class ErrorText
{
    /// <summary>The message of <paramref name="e"/>, without parameter names and reader positions, and without a final period.</summary>
    public static string Reason(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Noise().Replace(e.Message, "").TrimEnd().TrimEnd('.');
    }

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)|\s*(Path: [^|]*\|\s*)?LineNumber: \d+ \| BytePositionInLine: \d+\.?|\s*Path: \S*\.?$")]
    private static partial Regex Noise();
}
