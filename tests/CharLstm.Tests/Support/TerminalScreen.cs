using System.Text;
using System.Text.RegularExpressions;
using Spectre.Console.Rendering;

namespace CharLstm.Tests.Support;

/// <summary>
/// What a terminal of a given width shows after it is sent some output: text, \r, \n, and the escape sequences
/// Spectre.Console's live displays use (cursor up and down, erase in line or display, colours, cursor visibility).
/// A character that would land past the last column is counted in <see cref="Overflows"/>: a real terminal would wrap
/// it onto the next line, which moves everything below and leaves a live display redrawing in the wrong place.
/// </summary>
internal sealed partial class TerminalScreen
{
    private readonly int _width;
    private readonly List<string[]> _rows = [];
    private int _row;
    private int _column;

    private TerminalScreen(int width) => _width = width;

    /// <summary>The rows of the screen and what scrolled above it, without trailing spaces or trailing empty rows.</summary>
    public IReadOnlyList<string> Rows { get; private set; } = [];

    /// <summary>Characters that ran past the last column, as "row:column 'character'".</summary>
    public List<string> Overflows { get; } = [];

    /// <summary>Plays <paramref name="output"/> on an empty terminal <paramref name="width"/> columns wide.</summary>
    public static TerminalScreen Play(string output, int width)
    {
        var screen = new TerminalScreen(width);
        int at = 0;
        foreach (Match escape in Escape().Matches(output))
        {
            screen.Print(output[at..escape.Index]);
            screen.Control(escape.Groups["parameters"].Value, escape.Groups["command"].Value[0]);
            at = escape.Index + escape.Length;
        }
        screen.Print(output[at..]);
        screen.Rows = [.. screen._rows.Select(r => string.Concat(r).TrimEnd())];
        screen.Rows = [.. screen.Rows.Take(screen.Rows.Count - screen.Rows.Reverse().TakeWhile(r => r.Length == 0).Count())];
        return screen;
    }

    [GeneratedRegex(@"\x1b\[(?<parameters>[0-9;?]*)(?<command>[A-Za-z])")]
    private static partial Regex Escape();

    private string[] Row(int index)
    {
        while (_rows.Count <= index) _rows.Add(Enumerable.Repeat(" ", _width).ToArray());
        return _rows[index];
    }

    private void Print(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '\r': _column = 0; continue;
                case '\n': _row++; _column = 0; continue;
            }
            int cells = new Segment(rune.ToString()).CellCount();
            if (_column + cells > _width)
            {
                Overflows.Add($"{_row}:{_column} '{rune}'");
                _row++;
                _column = 0;
            }
            var row = Row(_row);
            row[_column] = rune.ToString();
            for (int i = 1; i < cells; i++) row[_column + i] = "";
            _column += cells;
        }
    }

    private void Control(string parameters, char command)
    {
        int n = int.TryParse(parameters, out int value) ? value : 0;
        var row = Row(_row);
        switch (command)
        {
            case 'A': _row = Math.Max(0, _row - Math.Max(n, 1)); break;
            case 'B': _row += Math.Max(n, 1); break;
            case 'G': _column = Math.Clamp(n - 1, 0, _width - 1); break;
            case 'K':
                int from = n == 0 ? _column : 0, to = n == 1 ? _column + 1 : _width;
                for (int i = from; i < Math.Min(to, _width); i++) row[i] = " ";
                break;
            case 'J' when n >= 2: _rows.Clear(); break;
            case 'H': _row = 0; _column = 0; break;
            case 'm' or 'h' or 'l': break; // colours, cursor shown or hidden
            default: throw new NotSupportedException($"escape sequence ESC[{parameters}{command} is not emulated");
        }
    }

    /// <summary>The screen as text, one row a line, for assertion messages.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var row in Rows) text.Append('|').Append(row).Append('\n');
        foreach (var overflow in Overflows) text.Append("overflow at ").Append(overflow).Append('\n');
        return text.ToString();
    }
}
