using System.Globalization;
using System.Text;

namespace CharLstm.ServeLoad;

/// <summary>The load's results as a Markdown table, the checks they must pass, and two charts.</summary>
internal sealed class Report(List<LevelResult> results, double warmMb, LoadOptions options, string label, string model)
{
    /// <summary>What the results break: 5xx, 429 within capacity, wrong text, failed requests, memory growth, too little batching gain.</summary>
    public List<string> Failures()
    {
        var failures = new List<string>();
        foreach (var r in results)
        {
            if (r.ServerErrors > 0) failures.Add($"{r.Clients} clients: {r.ServerErrors} 5xx replies");
            if (r.TooMany > 0 && r.Clients <= options.Capacity) failures.Add($"{r.Clients} clients: {r.TooMany} 429s within the capacity of {options.Capacity}");
            if (r.Mismatched > 0) failures.Add($"{r.Clients} clients: {r.Mismatched} texts differ from the same request alone");
            if (r.OtherFailures > 0) failures.Add($"{r.Clients} clients: {r.OtherFailures} requests failed");
            if (r.MemoryAfterMb > warmMb * 1.10) failures.Add($"{r.Clients} clients: memory {r.MemoryAfterMb:F1} MB, more than 10% above {warmMb:F1} MB after warm-up");
        }

        var one = results.FirstOrDefault(r => r.Clients == 1);
        var many = results.FirstOrDefault(r => r.Clients == 32);
        if (one is not null && many is not null && many.CharactersPerSecond < 3 * one.CharactersPerSecond)
            failures.Add($"32 clients get {many.CharactersPerSecond / one.CharactersPerSecond:F2}× one client's characters per second, less than 3×");
        return failures;
    }

    public string Markdown()
    {
        var one = results.FirstOrDefault(r => r.Clients == 1);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Model `{model}`, {options.MaxTokens} characters per completion, temperature 0.8, {options.Seconds:F0} s per row. {label}");
        md.AppendLine();
        md.AppendLine("| clients | chars/s | × 1 client | first char p50 | p99 | per char p50 | p99 | completions | 429 | 5xx | other failures | wrong text | memory after |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            string ratio = one is null ? "" : (r.CharactersPerSecond / one.CharactersPerSecond).ToString("F2", CultureInfo.InvariantCulture) + "×";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Clients} | {r.CharactersPerSecond:N0} | {ratio} | {r.FirstCharacterP50Ms:F1} ms | {r.FirstCharacterP99Ms:F1} ms | "
                + $"{r.PerCharacterP50Ms:F2} ms | {r.PerCharacterP99Ms:F2} ms | {r.Completed:N0} | {r.TooMany} | {r.ServerErrors} | {r.OtherFailures} | "
                + $"{r.Mismatched} | {r.MemoryAfterMb:F1} MB |");
        }

        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Memory after warm-up: {warmMb:F1} MB (the server's working set, from /metrics).");
        var failures = Failures();
        md.AppendLine(failures.Count == 0 ? "Every check passed." : "Failed: " + string.Join("; ", failures) + ".");
        return md.ToString();
    }

    public void Charts(string folder)
    {
        double[] clients = [.. results.Select(r => (double)r.Clients)];
        var throughput = new ScottPlot.Plot();
        throughput.Font.Set("DejaVu Sans");
        var measured = throughput.Add.Scatter(clients, [.. results.Select(r => r.CharactersPerSecond)]);
        measured.LegendText = "measured";
        measured.LineWidth = 2;
        measured.MarkerSize = 8;
        if (results.FirstOrDefault(r => r.Clients == 1) is { } one)
        {
            var linear = throughput.Add.Scatter(clients, [.. clients.Select(c => c * one.CharactersPerSecond)]);
            linear.LegendText = "one client's rate × clients";
            linear.LineWidth = 1;
            linear.MarkerSize = 0;
        }

        throughput.Axes.SetLimitsY(0, results.Max(r => r.CharactersPerSecond) * 1.15);
        throughput.Title("charlstm serve: characters per second, all clients together");
        throughput.XLabel("concurrent clients");
        throughput.YLabel("characters per second");
        throughput.ShowLegend(ScottPlot.Alignment.UpperLeft);
        Save(throughput, folder, "throughput");

        var latency = new ScottPlot.Plot();
        latency.Font.Set("DejaVu Sans");
        // p99 lines thin with square markers, p50 lines thick with round ones (a dashed line draws nothing in the SVG).
        (string Name, Func<LevelResult, double> Value, bool Tail)[] series =
        [
            ("first character p50", r => r.FirstCharacterP50Ms, false),
            ("first character p99", r => r.FirstCharacterP99Ms, true),
            ("per character p50", r => r.PerCharacterP50Ms, false),
            ("per character p99", r => r.PerCharacterP99Ms, true),
        ];
        foreach (var (name, value, tail) in series)
        {
            // A gap of 0 ms (characters that came in one event) is drawn at 0.001 ms, the axis's floor.
            var s = latency.Add.Scatter(clients, [.. results.Select(r => Math.Log10(Math.Max(value(r), 0.001)))]);
            s.LegendText = name;
            s.LineWidth = tail ? 1 : 3;
            s.MarkerShape = tail ? ScottPlot.MarkerShape.FilledSquare : ScottPlot.MarkerShape.FilledCircle;
            s.MarkerSize = 7;
        }

        // Log scale: tick labels show milliseconds.
        latency.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => Math.Pow(10, v).ToString(Math.Pow(10, v) < 1 ? "0.##" : "N0", CultureInfo.InvariantCulture),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
        };
        latency.Title("charlstm serve: latency (log scale)");
        latency.XLabel("concurrent clients");
        latency.YLabel("milliseconds");
        latency.ShowLegend(ScottPlot.Alignment.UpperLeft);
        Save(latency, folder, "latency");
    }

    private static void Save(ScottPlot.Plot plot, string folder, string name)
    {
        plot.SavePng(Path.Combine(folder, name + ".png"), 900, 500);
        plot.SaveSvg(Path.Combine(folder, name + ".svg"), 900, 500);
    }
}
