using CharLstm.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace CharLstm.Cli.Commands.Train;

// The live area under the lines that stay: the figures of the last step, the bar, its percentage and the ETA.
internal abstract partial class ProgressView
{
    // Hands the last step and the task's progress to Area; Progress redraws it ten times a second.
    private sealed class AreaColumn : ProgressColumn
    {
        private double _sinceFrame;
        private int _frame;

        // Written by the training thread, read by Progress's refresh thread; a reference is written whole.
        public volatile StepReport? Report;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var spinner = options.Unicode ? Spinner.Known.Default : Spinner.Known.Ascii;
            _sinceFrame += deltaTime.TotalMilliseconds;
            if (_sinceFrame >= spinner.Interval.TotalMilliseconds)
            {
                _sinceFrame = 0;
                _frame++;
            }
            string mark = task.IsFinished ? " " : spinner.Frames[_frame % spinner.Frames.Count];
            return new Area(Report, task.Percentage / 100, task.IsFinished, mark);
        }
    }

    // The live area laid out for the width it is given. When the figures leave the bar at least WideBar cells, all is one
    // line: figures, bar, percentage, ETA. Otherwise the figures come first, on as few even lines as they need, and the bar
    // with its percentage and ETA spans the line below. Percentage and ETA keep a fixed width, so the bar does not jitter.
    private sealed class Area(StepReport? report, double fraction, bool finished, string spinner) : Renderable
    {
        private const int WideBar = 20;

        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            List<string> figures = report is null ? ["starting"] : Figures(report);
            if (report is { Skipped: true }) figures.Add(SkippedNotice);
            string tail = $" {100 * fraction,3:F0}%{Separator}ETA {Format(report?.Remaining),-6} {spinner}";
            string status = string.Join(Separator, figures);
            int barWidth = maxWidth - Cells(status) - 2 - Cells(tail);
            if (barWidth >= WideBar)
            {
                yield return new Segment(status + "  ");
            }
            else
            {
                foreach (var line in Pack(figures, maxWidth))
                {
                    yield return new Segment(line);
                    yield return Segment.LineBreak;
                }
                // Below some 30 columns the tail alone is too wide; Spectre then wraps it.
                barWidth = Math.Max(1, maxWidth - Cells(tail));
            }
            foreach (var segment in Bar(options, barWidth))
                yield return segment;
            yield return new Segment(tail);
        }

        private IEnumerable<Segment> Bar(RenderOptions options, int width)
        {
            char cell = options.Unicode ? '━' : '-';
            int done = (int)(width * Math.Clamp(fraction, 0, 1));
            yield return new Segment(new string(cell, done), finished ? Color.Green : Color.Yellow);
            // Without colours the rest of the bar would look done too, so it is left blank, as Spectre's own bar does.
            bool colourless = options.ColorSystem is ColorSystem.NoColors or ColorSystem.Legacy;
            yield return new Segment(new string(colourless ? ' ' : cell, width - done), Color.Grey);
        }

        // Joins the fields with the separator into as few lines of at most width cells as they need, breaking only between
        // fields, and evens those lines out, so that the last field does not sit alone ("lr 1.2e-03" under a full line).
        private static List<string> Pack(List<string> fields, int width)
        {
            var lines = Fill(fields, width);
            for (int target = Cells(string.Join(Separator, fields)) / lines.Count; target < width; target++)
            {
                var even = Fill(fields, target);
                if (even.Count == lines.Count) return even;
            }
            return lines;
        }

        // Fills each line with as many fields as fit in width cells; a field wider than that gets a line of its own.
        private static List<string> Fill(List<string> fields, int width)
        {
            var lines = new List<string>();
            string line = "";
            foreach (var field in fields)
            {
                if (line.Length == 0)
                {
                    line = field;
                }
                else if (Cells(line) + Cells(Separator) + Cells(field) <= width)
                {
                    line += Separator + field;
                }
                else
                {
                    lines.Add(line);
                    line = field;
                }
            }
            lines.Add(line);
            return lines;
        }
    }
}
