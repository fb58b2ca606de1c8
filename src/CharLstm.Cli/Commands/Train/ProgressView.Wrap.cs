using System.Text.RegularExpressions;

namespace CharLstm.Cli.Commands.Train;

// Fitting the lines that stay above the live area to the terminal's width.
internal abstract partial class ProgressView
{
    // Breaks a notice into lines of at most width cells, where a terminal would break it at any character: after the
    // last "; " (else ", ") in the second half of what fits, else at the last space, else (a path longer than the line)
    // at the width. The lines after the first are indented under the text after a leading "label: " (or by two spaces),
    // so they read as the rest of the line above.
    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        foreach (string line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var label = Label().Match(line);
            string indent = new(' ', label.Success && label.Length <= width / 4 ? label.Length : Math.Min(2, width / 4));
            string lead = "", rest = line;
            while (Cells(lead) + Cells(rest) > width)
            {
                int end = LineEnd(rest, Fit(rest, width - Cells(lead)));
                lines.Add(lead + rest[..end].TrimEnd());
                rest = rest[end..].TrimStart();
                lead = indent;
            }
            lines.Add(lead + rest);
        }
        return lines;
    }

    [GeneratedRegex(@"^[\w-]+: ")]
    private static partial Regex Label();

    // Where to end a line of text whose first fit characters fit: see Wrap.
    private static int LineEnd(string text, int fit)
    {
        if (fit >= text.Length) return text.Length;
        foreach (char clauseEnd in ";,")
        {
            for (int i = fit - 1; i >= fit / 2; i--)
                if (text[i] == clauseEnd && text[i + 1] == ' ') return i + 1;
        }
        for (int i = fit; i > 0; i--)
            if (text[i] == ' ') return i;
        return fit;
    }

    // Cuts text into lines of at most width cells, where the terminal itself would wrap it.
    private static List<string> Cut(string text, int width)
    {
        var lines = new List<string>();
        foreach (string line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            string rest = line;
            while (Cells(rest) > width)
            {
                int fit = Fit(rest, width);
                lines.Add(rest[..fit]);
                rest = rest[fit..];
            }
            lines.Add(rest);
        }
        return lines;
    }

    // How many characters from the start of text fit in the given cells, never splitting a character; at least one.
    private static int Fit(string text, int cells)
    {
        int used = 0, chars = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            used += Cells(rune.ToString());
            if (used > cells) break;
            chars += rune.Utf16SequenceLength;
        }
        return Math.Max(chars, char.IsSurrogatePair(text, 0) ? 2 : 1);
    }
}
