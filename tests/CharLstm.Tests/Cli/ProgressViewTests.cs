using CharLstm.Cli.Commands.Train;
using CharLstm.Training;
using Spectre.Console;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace CharLstm.Tests.Cli;

/// <summary>
/// The live view of <c>charlstm train</c> played on an emulated terminal of 80 and of 200 columns: nothing runs past the
/// edge, the bar keeps a usable width with its percentage beside it, no figure is split or lost, and the lines that stay
/// above the live area wrap between clauses and keep nothing of what they were written over.
/// </summary>
public sealed class ProgressViewTests
{
    private const string CorpusHeader = "corpus: corpus.txt, 147,024 characters, 28 distinct; train 132,321 / validation 14,703";
    private const string ModelHeader =
        "model: 2×32 LSTM, input embedding 64, 23,708 parameters; adam lr 0.002, batch 64×100; 20 batches per epoch";
    private const string Evaluation =
        "epoch 12 done, step 123,456: validation loss 1.3579 nats/char (1.9590 bits/char) over 14,656 characters (best so far)";
    private const string SampleLine = "lazy dog, the quick brown fox jumps over the lazy dog, and the quick brown fox jumps over it again.";

    // A long run well under way, with the widest figures one shows: steps in the hundred thousands, a validation loss,
    // an ETA in hours. By time it is 20 of 103 minutes in, so the bar stands at 19%.
    private static StepReport Report(bool skipped = false) => new(Step: 123_456, Horizon: 1_000_000, Epoch: 11, CharactersSeen: 790_118_400,
        Elapsed: TimeSpan.FromMinutes(20), CharactersPerSecond: 1_234_567, Loss: 1.23456f, LearningRate: 2e-3, GradientNorm: 0.5,
        Skipped: skipped, LastValidationLoss: 1.3579, Remaining: TimeSpan.FromMinutes(83));

    private static readonly string[] Figures =
        ["step 123,456/1,000,000", "epoch 12", "1,234,567 chars/s", "loss 1.2346", "val 1.3579", "lr 2.0e-03", "ETA 1h23m", "19%"];

    // A training run as TrainCommand drives the view: the header lines, a step, an evaluation and a sample, each of which
    // makes the view redraw its live area below it with the step's figures; then the run ends.
    private static (TerminalScreen Running, TerminalScreen Done) Run(int width, bool skipped = false) => Play(width, view =>
    {
        view.Line(CorpusHeader);
        view.Line(ModelHeader);
        view.Line("writing to runs/corpus/");
        view.Step(Report(skipped));
        view.Line(Evaluation);
        view.Verbatim($"--- sample at temperature 0.5 ---\n{SampleLine}\nthe end\n");
    });

    // Shows the live view on a terminal of the given width while body drives it: the screen as body left it, and at the end.
    private static (TerminalScreen Running, TerminalScreen Done) Play(int width, Action<ProgressView> body)
    {
        using var test = new TestConsole().Width(width).Height(40).Interactive().EmitAnsiSequences();
        var console = new LockedConsole(test);
        var view = ProgressView.Live(console);
        string running = "";
        view.Show(() =>
        {
            body(view);
            running = console.Output;
            return 0;
        });
        return (TerminalScreen.Play(running, width), TerminalScreen.Play(console.Output, width));
    }

    // A TestConsole whose output can be read while Progress's refresh thread writes to it.
    private sealed class LockedConsole(TestConsole inner) : IAnsiConsole
    {
        private readonly Lock _lock = new();
        public Profile Profile => inner.Profile;
        public IAnsiConsoleCursor Cursor => inner.Cursor;
        public IAnsiConsoleInput Input => ((IAnsiConsole)inner).Input;
        public IExclusivityMode ExclusivityMode => inner.ExclusivityMode;
        public RenderPipeline Pipeline => inner.Pipeline;
        public string Output { get { lock (_lock) return inner.Output; } }
        public void Clear(bool home) { lock (_lock) inner.Clear(home); }
        public void Write(IRenderable renderable) { lock (_lock) inner.Write(renderable); }
        public void WriteAnsi(Action<AnsiWriter> action) { lock (_lock) inner.WriteAnsi(action); }
    }

    [Theory]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(200)]
    public void Nothing_runs_past_the_edge_of_the_terminal(int width)
    {
        var (running, done) = Run(width);
        Assert.True(running.Overflows.Count == 0, $"at {width} columns:\n{running}");
        Assert.True(done.Overflows.Count == 0, $"at {width} columns:\n{done}");
    }

    private static List<string> BarRows(TerminalScreen screen) => [.. screen.Rows.Where(r => r.Contains('━', StringComparison.Ordinal))];

    private static int BarCells(string row) => row.Count(c => c == '━');

    [Theory]
    [InlineData(80, 40)]
    [InlineData(200, 80)]
    public void The_bar_keeps_its_width_with_the_percentage_on_its_line(int width, int minimumBar)
    {
        var (running, done) = Run(width);
        foreach (var (screen, percentage) in new[] { (running, "19%"), (done, "100%") })
        {
            var bar = Assert.Single(BarRows(screen));
            Assert.True(bar.Contains(percentage, StringComparison.Ordinal), $"no {percentage} beside the bar at {width} columns:\n{screen}");
            Assert.True(BarCells(bar) >= minimumBar, $"a bar of {BarCells(bar)} cells at {width} columns:\n{screen}");
        }
    }

    [Theory]
    [InlineData(80)]
    [InlineData(200)]
    public void Every_figure_is_shown_whole_on_one_line(int width)
    {
        var (running, _) = Run(width);
        foreach (var figure in Figures)
            Assert.True(running.Rows.Any(r => r.Contains(figure, StringComparison.Ordinal)), $"'{figure}' at {width} columns:\n{running}");
    }

    [Fact]
    public void A_skipped_step_says_so_at_80_columns()
    {
        var (running, _) = Run(80, skipped: true);
        Assert.Contains(running.Rows, r => r.Contains("step skipped (non-finite)", StringComparison.Ordinal));
        Assert.Empty(running.Overflows);
    }

    [Fact]
    public void At_80_columns_the_figures_take_two_even_lines_above_a_bar_across_the_line()
    {
        var (running, _) = Run(80);
        var live = running.Rows.TakeLast(3).ToArray();
        Assert.True(live[0] == "step 123,456/1,000,000 | epoch 12 | 1,234,567 chars/s", running.ToString());
        Assert.True(live[1] == "loss 1.2346 | val 1.3579 | lr 2.0e-03", running.ToString());
        Assert.Matches(@"^━{60}  19% \| ETA 1h23m  \S$", live[2]);
    }

    [Fact]
    public void At_200_columns_the_figures_share_one_line_with_the_bar()
    {
        var (running, _) = Run(200);
        var bar = Assert.Single(BarRows(running));
        foreach (var figure in Figures)
            Assert.Contains(figure, bar, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_lines_at_80_columns_wrap_between_clauses_with_the_rest_indented()
    {
        var (_, done) = Run(80);
        string[] expected =
        [
            "corpus: corpus.txt, 147,024 characters, 28 distinct;",
            "        train 132,321 / validation 14,703",
            "model: 2×32 LSTM, input embedding 64, 23,708 parameters;",
            "       adam lr 0.002, batch 64×100; 20 batches per epoch",
            "writing to runs/corpus/",
            "epoch 12 done, step 123,456: validation loss 1.3579 nats/char (1.9590 bits/char)",
            "  over 14,656 characters (best so far)",
        ];
        // Exactly these rows: a row that kept the tail of the live area it was written over would differ.
        Assert.True(expected.SequenceEqual(done.Rows.Take(expected.Length)), done.ToString());
    }

    [Fact]
    public void A_sample_at_80_columns_breaks_only_at_the_edge_and_is_not_indented()
    {
        var (_, done) = Run(80);
        string[] expected = ["--- sample at temperature 0.5 ---", SampleLine[..80], SampleLine[80..], "the end", ""];
        Assert.True(expected.SequenceEqual(done.Rows.Skip(7).Take(expected.Length)), done.ToString());
    }

    [Fact]
    public void Lines_that_fit_in_200_columns_are_shown_as_they_are()
    {
        var (_, done) = Run(200);
        string[] expected =
            [CorpusHeader, ModelHeader, "writing to runs/corpus/", Evaluation, "--- sample at temperature 0.5 ---", SampleLine, "the end", ""];
        Assert.True(expected.SequenceEqual(done.Rows.Take(expected.Length)), done.ToString());
    }

    [Fact]
    public void A_path_longer_than_the_line_is_cut_at_the_width()
    {
        string path = "/" + string.Concat(Enumerable.Repeat("runs/", 24)) + "last";
        var (_, done) = Play(80, view => view.Line($"writing to {path}/"));
        string[] expected = ["writing to", "  " + path[..78], "  " + path[78..] + "/"];
        Assert.True(expected.SequenceEqual(done.Rows.Take(expected.Length)), done.ToString());
        Assert.Empty(done.Overflows);
    }
}
