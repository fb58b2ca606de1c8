using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CharLstm.ServeLoad;

// Load test for `charlstm serve` over loopback: for each client count, that many clients send streamed completions back
// to back for a fixed time. Every reply is checked against the text the same request (prompt and seed) gave alone before
// the load, so a lost, duplicated or interleaved character is counted; 429s are counted apart from 5xx and are expected
// only past the server's capacity (--capacity: slots + queue). Writes results.json, results.md and two charts.
var url = new Option<string>("--url") { Description = "The server (loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:8090" };
var clientsOption = new Option<string>("--clients") { Description = "Client counts, comma-separated.", DefaultValueFactory = _ => "1,8,32,64" };
var seconds = new Option<double>("--seconds") { Description = "Seconds per client count.", DefaultValueFactory = _ => 60 };
var maxTokens = new Option<int>("--max-tokens") { Description = "Characters per completion.", DefaultValueFactory = _ => 200 };
var capacity = new Option<int>("--capacity") { Description = "The server's streams plus queue; 429s below it are failures.", DefaultValueFactory = _ => 64 };
var outFolder = new Option<string>("--out") { Description = "Folder for results.json, results.md and the charts.", DefaultValueFactory = _ => "bench/out/serve" };
var label = new Option<string>("--label") { Description = "What ran (CPU, model, server options), printed in the report.", DefaultValueFactory = _ => "" };
var root = new RootCommand("Load test for charlstm serve: concurrent streamed completions over loopback, checked and timed.");
foreach (var o in new Option[] { url, clientsOption, seconds, maxTokens, capacity, outFolder, label }) root.Options.Add(o);
root.SetAction(async (r, cancel) =>
{
    var target = new Uri(r.GetValue(url)!);
    if (!target.IsLoopback)
    {
        Console.Error.WriteLine($"serve-load: error: {target} is not a loopback address; this tool only loads a server on this machine.");
        return 2;
    }

    int[] levels = [.. r.GetValue(clientsOption)!.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))];
    var options = new LoadOptions(target, r.GetValue(seconds), r.GetValue(maxTokens), r.GetValue(capacity));
    using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
    var load = new Load(http, options);
    await load.Prepare(cancel);
    Console.WriteLine($"model {load.Model}; {load.References.Count} reference texts of {options.MaxTokens} characters");

    // Warm-up at the highest count: every batch size the server will use is made, then memory is read.
    await load.RunLevel(levels.Max(), Math.Min(10, options.Seconds), cancel);
    double warm = await load.MemoryMb(cancel);
    Console.WriteLine($"after warm-up: {warm:F1} MB");
    var results = new List<LevelResult>();
    foreach (int clients in levels)
    {
        var result = await load.RunLevel(clients, options.Seconds, cancel);
        results.Add(result);
        Console.WriteLine($"{clients,3} clients: {result.CharactersPerSecond,9:N0} chars/s, first char p50 {result.FirstCharacterP50Ms:F1} ms "
            + $"p99 {result.FirstCharacterP99Ms:F1} ms, per char p50 {result.PerCharacterP50Ms:F2} ms p99 {result.PerCharacterP99Ms:F2} ms, "
            + $"{result.Completed} done, {result.TooMany} 429, {result.ServerErrors} 5xx, {result.OtherFailures} failed, "
            + $"{result.Mismatched} mismatched, memory {result.MemoryAfterMb:F1} MB");
    }

    string folder = r.GetValue(outFolder)!;
    Directory.CreateDirectory(folder);
    var report = new Report(results, warm, options, r.GetValue(label)!, load.Model);
    File.WriteAllText(Path.Combine(folder, "results.json"), JsonSerializer.Serialize(new { options.Seconds, options.MaxTokens, options.Capacity, warm, results },
        new JsonSerializerOptions { WriteIndented = true }));
    File.WriteAllText(Path.Combine(folder, "results.md"), report.Markdown());
    report.Charts(folder);
    Console.WriteLine(report.Markdown());
    Console.WriteLine($"wrote {folder}/results.json, results.md, throughput.png/.svg, latency.png/.svg");
    return report.Failures().Count == 0 ? 0 : 1;
});
return await root.Parse(args).InvokeAsync();

/// <summary>The load's settings.</summary>
internal sealed record LoadOptions(Uri Url, double Seconds, int MaxTokens, int Capacity);

/// <summary>Clients sending completions: the reference texts first, then one level at a time.</summary>
internal sealed class Load(HttpClient http, LoadOptions options)
{
    private static readonly string[] Prompts = ["ROMEO:", "JULIET:\n", "The ", "KING HENRY", "First Citizen:\nWe are"];
    private const int Seeds = 16;
    private const float Temperature = 0.8f;

    public string Model { get; private set; } = "";

    /// <summary>The text each (prompt, seed) gave alone, before any load.</summary>
    public Dictionary<(int Prompt, ulong Seed), string> References { get; } = [];

    public async Task Prepare(CancellationToken cancel)
    {
        using var models = JsonDocument.Parse(await http.GetStringAsync(new Uri(options.Url, "/v1/models"), cancel));
        Model = models.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
        for (int p = 0; p < Prompts.Length; p++)
        {
            for (ulong s = 0; s < Seeds; s++)
            {
                var c = await Completion.Run(http, options.Url, Model, Prompts[p], options.MaxTokens, Temperature, s, stream: false, cancel);
                if (c.Status != 200) throw new InvalidOperationException($"reference request failed: {c.Status} {c.Error}");
                References[(p, s)] = c.Text;
            }
        }
    }

    public async Task<LevelResult> RunLevel(int clients, double seconds, CancellationToken cancel)
    {
        var firsts = new List<double>();
        var gaps = new List<double>();
        int completed = 0, tooMany = 0, serverErrors = 0, other = 0, mismatched = 0;
        long characters = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        async Task Client(int id)
        {
            for (int i = 0; clock.Elapsed < end; i++)
            {
                int p = (id + i) % Prompts.Length;
                ulong seed = (ulong)((id * 7 + i) % Seeds);
                Completion c;
                try { c = await Completion.Run(http, options.Url, Model, Prompts[p], options.MaxTokens, Temperature, seed, stream: true, cancel); }
                catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
                {
                    Interlocked.Increment(ref other);
                    continue;
                }

                lock (firsts)
                {
                    if (c.Status == 429) { tooMany++; }
                    else if (c.Status >= 500) { serverErrors++; }
                    else if (c.Status != 200 || c.Error is not null) { other++; }
                    else
                    {
                        completed++;
                        characters += c.Text.Length;
                        firsts.Add(c.FirstCharacterMs);
                        gaps.Add(c.PerCharacterMs);
                        if (c.Text != References[(p, seed)]) mismatched++;
                    }
                }

                if (c.Status == 429) await Task.Delay(c.RetryAfter > TimeSpan.Zero ? c.RetryAfter : TimeSpan.FromMilliseconds(100), cancel);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, clients).Select(Client));
        double elapsed = clock.Elapsed.TotalSeconds;
        double memory = await MemoryMb(cancel);
        return new LevelResult(clients, elapsed, completed, tooMany, serverErrors, other, mismatched, characters,
            LevelResult.Percentile(firsts, 0.5), LevelResult.Percentile(firsts, 0.99), LevelResult.Percentile(gaps, 0.5), LevelResult.Percentile(gaps, 0.99),
            memory);
    }

    /// <summary>The server's working set, from its Prometheus metrics (prometheus-net's process_working_set_bytes).</summary>
    public async Task<double> MemoryMb(CancellationToken cancel)
    {
        await Task.Delay(TimeSpan.FromSeconds(2), cancel); // let streams finish leaving
        string metrics = await http.GetStringAsync(new Uri(options.Url, "/metrics"), cancel);
        foreach (string line in metrics.Split('\n'))
        {
            if (!line.StartsWith("process_working_set_bytes ", StringComparison.Ordinal)) continue;
            return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) / (1024 * 1024);
        }

        throw new InvalidOperationException("the server's /metrics has no process_working_set_bytes");
    }
}
