using System.Globalization;
using System.Text;

namespace CharLstm.Data;

/// <summary>Conversions between .NET strings (UTF-16) and Unicode scalar values, the model's characters.</summary>
public static class TextScalars
{
    /// <summary>Splits a string into Unicode scalar values; a surrogate pair becomes one value.</summary>
    /// <param name="text">The text.</param>
    /// <returns>One scalar value per character. A lone surrogate (not valid text) becomes U+FFFD.</returns>
    public static int[] FromString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scalars = new List<int>(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            scalars.Add(rune.Value);
        }

        return [.. scalars];
    }

    /// <summary>Joins Unicode scalar values back into a string.</summary>
    /// <param name="scalars">Unicode scalar values.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentException">A value is not a Unicode scalar value (a surrogate or above U+10FFFF).</exception>
    public static string ToText(ReadOnlySpan<int> scalars)
    {
        var builder = new StringBuilder(scalars.Length);
        for (int i = 0; i < scalars.Length; i++)
        {
            if (!Rune.IsValid(scalars[i]))
            {
                throw new ArgumentException(
                    $"Value {scalars[i]} at index {i} is not a Unicode scalar value.", nameof(scalars));
            }

            builder.Append(new Rune(scalars[i]));
        }

        return builder.ToString();
    }

    /// <summary>
    /// A printable description of one character for messages: <c>'é' (U+00E9)</c>, <c>'\n' (U+000A)</c>,
    /// or just <c>U+200B</c> for characters that would not show on their own (controls, format characters,
    /// combining marks, unusual spaces, unassigned).
    /// </summary>
    /// <param name="scalar">A Unicode scalar value; other values are described as <c>invalid value N</c>.</param>
    /// <returns>The description.</returns>
    public static string Describe(int scalar)
    {
        if (!Rune.IsValid(scalar))
        {
            return $"invalid value {scalar}";
        }

        string code = $"U+{scalar:X4}";
        string? escaped = scalar switch
        {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\'' => "\\'",
            '\\' => "\\\\",
            _ => null,
        };
        if (escaped is not null)
        {
            return $"'{escaped}' ({code})";
        }

        var rune = new Rune(scalar);
        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.PrivateUse or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            || (category is UnicodeCategory.SpaceSeparator && scalar != ' '))
        {
            return code;
        }

        return $"'{rune}' ({code})";
    }

    /// <summary>
    /// One character as it can be shown in a line of text: itself when it prints (a space too),
    /// <c>\n</c>, <c>\r</c>, <c>\t</c> and <c>\\</c> escaped, and <c>&lt;U+200B&gt;</c> for one that would not show.
    /// </summary>
    public static string Show(int scalar) => scalar switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\\' => "\\\\",
        _ when Describe(scalar).StartsWith('\'') => new Rune(scalar).ToString(),
        _ => $"<{Describe(scalar)}>",
    };

    /// <summary>Describes up to <paramref name="limit"/> characters, comma-separated, then "and N more".</summary>
    public static string DescribeList(IReadOnlyList<int> scalars, int limit = 20)
    {
        string shown = string.Join(", ", scalars.Take(limit).Select(Describe));
        return scalars.Count > limit ? $"{shown} and {scalars.Count - limit} more" : shown;
    }
}
