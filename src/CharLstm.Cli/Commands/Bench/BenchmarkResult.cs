using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using CharLstm.Numerics;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>What a benchmark run measured; <see cref="ToJson"/> writes the contract of bench/README.md.</summary>
internal sealed record BenchmarkResult
{
    /// <summary>The settings that ran.</summary>
    public required BenchmarkSettings Settings { get; init; }
    /// <summary>Compute threads actually used.</summary>
    public required int Threads { get; init; }
    /// <summary>Rate of each repetition, in <see cref="Unit"/>.</summary>
    public required double[] Reps { get; init; }
    /// <summary>Median of <see cref="Reps"/>.</summary>
    public double Median => BenchmarkRunner.Median(Reps);
    /// <summary><c>chars/s</c> or <c>GFLOP/s</c>.</summary>
    public required string Unit { get; init; }
    /// <summary>Per-shape figures (sgemm only).</summary>
    public IReadOnlyList<ShapeResult>? Shapes { get; init; }
    /// <summary>Peak working set of the process at the end of the run (bytes).</summary>
    public long PeakRssBytes { get; init; }
    /// <summary>Working set before the model was built: the runtime's own share (bytes).</summary>
    public long BaselineRssBytes { get; init; }
    /// <summary>With <see cref="BenchmarkSettings.Profile"/> (training, generation): share of the measured time per phase, largest first.</summary>
    public IReadOnlyList<(string Phase, double Share)>? Profile { get; init; }
    /// <summary>Training: parameters, gradients, optimizer moments and the pass's saved activations and scratch (bytes).</summary>
    public long? ModelBytes { get; init; }

    /// <summary>The version written in the JSON: the tool's.</summary>
    public static string Version { get; } =
        typeof(BenchmarkResult).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The result as one JSON object (no trailing newline). Rates are rounded to 3 decimals.</summary>
    public string ToJson()
    {
        var s = Settings;
        var c = s.Config;
        var contract = new Contract
        {
            Engine = "charlstm", Version = Version, Config = c.Name, Vocab = c.Vocab, Embedding = c.Embedding, Hidden = c.Hidden, Layers = c.Layers,
            Batch = c.Batch, Seq = c.Seq, Mode = s.Mode.ToString().ToLowerInvariant(), GenBatch = s.Mode == BenchmarkMode.Generate ? s.GenBatch : null,
            Threads = Threads, Reps = Round(Reps), Median = Math.Round(Median, 3), Unit = Unit,
            Shapes = Shapes?.Select(shape => new ShapeContract
            {
                Name = shape.Name, M = shape.M, K = shape.K, N = shape.N, Reps = Round(shape.Reps), Median = Math.Round(shape.Median, 3),
                PackedReps = shape.PackedReps is null ? null : Round(shape.PackedReps), PackedMedian = shape.PackedMedian is { } pm ? Math.Round(pm, 3) : null,
            }).ToArray(),
            Seconds = s.Seconds, Warmup = s.Warmup, Seed = s.Seed, Overrides = s.Overrides, Simd = MatrixProduct.Kernel,
            Blocking = BlockingContract.Of(MatMulBlocking.Machine),
            Runtime = RuntimeInformation.FrameworkDescription, PeakRssBytes = PeakRssBytes, BaselineRssBytes = BaselineRssBytes,
            ModelBytes = ModelBytes,
            // The memory figure of the report: (peak − runtime baseline) / (params + optimizer + activations).
            RssOverModel = ModelBytes is long bytes ? Math.Round((PeakRssBytes - BaselineRssBytes) / (double)bytes, 3) : null,
            Profile = Profile?.ToDictionary(p => p.Phase, p => Math.Round(p.Share, 4)),
        };
        return JsonSerializer.Serialize(contract, Json);
    }

    private static double[] Round(double[] rates) => [.. rates.Select(r => Math.Round(r, 3))];

    // The JSON contract of bench/README.md, field by field in its order; the peer writes the same.
    private sealed record Contract
    {
        public required string Engine { get; init; }
        public required string Version { get; init; }
        public required string Config { get; init; }
        public int Vocab { get; init; }
        public int Embedding { get; init; }
        public int Hidden { get; init; }
        public int Layers { get; init; }
        public int Batch { get; init; }
        public int Seq { get; init; }
        public required string Mode { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int? GenBatch { get; init; }
        public int Threads { get; init; }
        [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int? OpenblasThreads { get; init; }
        public required double[] Reps { get; init; }
        public double Median { get; init; }
        public required string Unit { get; init; }
        public ShapeContract[]? Shapes { get; init; }
        public double Seconds { get; init; }
        public int Warmup { get; init; }
        public ulong Seed { get; init; }
        public required IReadOnlyDictionary<string, int> Overrides { get; init; }
        public required string Simd { get; init; }
        public required BlockingContract Blocking { get; init; }
        public required string Runtime { get; init; }
        public long PeakRssBytes { get; init; }
        public long BaselineRssBytes { get; init; }
        public long? ModelBytes { get; init; }
        public double? RssOverModel { get; init; }
        public Dictionary<string, double>? Profile { get; init; }
    }

    // The multiply's cache blocking and the caches it was chosen from (MatMulBlocking.For).
    private sealed record BlockingContract
    {
        public int Depth { get; init; }
        public int Rows { get; init; }
        public int Columns { get; init; }
        public long L1dBytes { get; init; }
        public long L2Bytes { get; init; }
        public long L3Bytes { get; init; }
        public required string CacheSource { get; init; }

        public static BlockingContract Of(MatMulBlocking b) => new()
        {
            Depth = b.Depth, Rows = b.Rows, Columns = b.Columns, L1dBytes = b.Caches.L1Data, L2Bytes = b.Caches.L2, L3Bytes = b.Caches.L3,
            CacheSource = b.Caches.Source,
        };
    }

    private sealed record ShapeContract
    {
        public required string Name { get; init; }
        public int M { get; init; }
        public int K { get; init; }
        public int N { get; init; }
        public required double[] Reps { get; init; }
        public double Median { get; init; }
        public double[]? PackedReps { get; init; }
        public double? PackedMedian { get; init; }
    }
}
