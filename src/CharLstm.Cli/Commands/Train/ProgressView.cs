using CharLstm.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace CharLstm.Cli.Commands.Train;

/// <summary>Shows training progress: a live bar on a terminal, or one plain line per interval when output is redirected.</summary>
internal abstract partial class ProgressView
{
    public static ProgressView Create(bool plain, bool quiet = false)
        => quiet ? new QuietView()
        : plain || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive ? new PlainView() : Live(AnsiConsole.Console);

    /// <summary>The live bar on <paramref name="console"/>; tests pass a console of a chosen width.</summary>
    public static ProgressView Live(IAnsiConsole console) => new LiveView(console);

    /// <summary>Runs <paramref name="body"/> while the view is shown.</summary>
    public abstract T Show<T>(Func<T> body);
    public abstract void Step(StepReport r);
    /// <summary>A line that stays (evaluations, notices); the live view wraps it to the terminal between clauses.</summary>
    public abstract void Line(string text);
    /// <summary>Text that stays as it is (a generated sample); the live view breaks its lines only at the terminal's width.</summary>
    public abstract void Verbatim(string text);

    private const string Separator = " | ";
    private const string SkippedNotice = "step skipped (non-finite)";

    // The figures of a step, in the order both views show them; each view places the ETA and a skipped step's notice.
    // The process runs with invariant globalization, so numbers format the same everywhere.
    private static List<string> Figures(StepReport r)
    {
        List<string> figures = [$"step {r.Step:N0}/{r.Horizon:N0}", $"epoch {r.Epoch + 1}", $"{r.CharactersPerSecond:N0} chars/s", $"loss {r.Loss:F4}"];
        if (!double.IsNaN(r.LastValidationLoss)) figures.Add($"val {r.LastValidationLoss:F4}");
        figures.Add($"lr {r.LearningRate:0.0e+00}");
        return figures;
    }

    private static string Summary(StepReport r) =>
        string.Join(Separator, Figures(r)) + $"{Separator}ETA {Format(r.Remaining)}" + (r.Skipped ? Separator + SkippedNotice : "");

    public static string Format(TimeSpan? t) => t is not { } v ? "?"
        : v.TotalHours >= 1 ? $"{(int)v.TotalHours}h{v.Minutes:D2}m"
        : v.TotalMinutes >= 1 ? $"{(int)v.TotalMinutes}m{v.Seconds:D2}s"
        : $"{v.Seconds}s";

    private static int Cells(string text) => new Segment(text).CellCount();

    private sealed class PlainView : ProgressView
    {
        private DateTime _lastPrint = DateTime.MinValue;
        public override T Show<T>(Func<T> body) => body();
        public override void Step(StepReport r)
        {
            var now = DateTime.UtcNow;
            if (r.Step == 1 || r.Skipped || now - _lastPrint >= TimeSpan.FromSeconds(10))
            {
                _lastPrint = now;
                Console.WriteLine(Summary(r));
            }
        }
        public override void Line(string text) => Console.WriteLine(text);
        public override void Verbatim(string text) => Console.WriteLine(text);
    }

    // --quiet: nothing while training; the verb still prints how the run ended, and errors go to standard error.
    private sealed class QuietView : ProgressView
    {
        public override T Show<T>(Func<T> body) => body();
        public override void Step(StepReport r) { }
        public override void Line(string text) { }
        public override void Verbatim(string text) { }
    }

    private sealed class LiveView(IAnsiConsole console) : ProgressView
    {
        private readonly AreaColumn _area = new();
        private ProgressTask? _task;
        private ProgressContext? _context;

        // One column holding the whole live area, which Area lays out for the full width. In a grid of description, bar
        // and percentage columns the description is sized first, and a long one squeezes the bar to a cell and the
        // percentage onto lines of its own.
        public override T Show<T>(Func<T> body) => console.Progress()
            .AutoClear(false)
            .Columns(_area)
            .Start(ctx =>
            {
                _context = ctx;
                _task = ctx.AddTask("training", maxValue: 1000);
                var result = body();
                _task.Value = _task.MaxValue;
                _task.StopTask();
                return result;
            });

        public override void Step(StepReport r)
        {
            if (_task is null) return;
            _area.Report = r;
            double byStep = r.Horizon > 0 ? (double)r.Step / r.Horizon : 0;
            double byTime = r.Remaining is { } left && left > TimeSpan.Zero ? r.Elapsed / (r.Elapsed + left) : byStep;
            _task.Value = 1000 * Math.Clamp(Math.Max(byStep, Math.Min(byTime, 1)), 0, 1);
        }

        public override void Line(string text) => Write(Wrap(text, console.Profile.Width));
        public override void Verbatim(string text) => Write(Cut(text, console.Profile.Width));

        private void Write(List<string> lines)
        {
            console.Write(new ClearedLines(lines));
            _context?.Refresh();
        }
    }

    // Lines that each fit the terminal, written from the top of the live area, which Spectre redraws below them. Each
    // line is cleared to its end: Spectre writes over the live area without erasing it, so a line shorter than the one
    // it covers would keep that line's tail (a bar after a header, figures after a sample).
    private sealed class ClearedLines(List<string> lines) : Renderable
    {
        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            foreach (var line in lines)
            {
                yield return new Segment(line);
                if (options.Ansi) yield return Segment.Control("\u001b[K");
                yield return Segment.LineBreak;
            }
        }
    }
}
