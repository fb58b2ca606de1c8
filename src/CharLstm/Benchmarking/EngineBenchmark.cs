using System.Diagnostics;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;
using CharLstm.Training;

namespace CharLstm.Benchmarking;

/// <summary>What <see cref="EngineBenchmark"/> measures.</summary>
public enum BenchmarkMode
{
    /// <summary>Characters per second of whole training steps (forward, backward, clip 5, Adam 2e-3).</summary>
    Train,
    /// <summary>Characters per second of sampling at temperature 1, one character per stream per step.</summary>
    Generate,
    /// <summary>GFLOP/s of the engine's matrix multiply on the shapes the LSTM uses.</summary>
    Sgemm,
    /// <summary>
    /// GFLOP/s of independent fused multiply-adds held in registers on every thread at once (no
    /// memory traffic): the arithmetic ceiling of this machine at this moment, for judging the others.
    /// </summary>
    Peak,
}

/// <summary>A benchmark configuration: the model and the training batch.</summary>
/// <param name="Name">Preset name (<c>T1</c>, <c>T2</c>, <c>T3</c>).</param>
/// <param name="Vocab">Vocabulary size.</param>
/// <param name="Embedding">Embedding width; 0 = one-hot input.</param>
/// <param name="Hidden">Units per LSTM layer.</param>
/// <param name="Layers">Stacked LSTM layers.</param>
/// <param name="Batch">Streams per training batch.</param>
/// <param name="Seq">Time steps per training batch.</param>
public sealed record BenchmarkConfig(string Name, int Vocab, int Embedding, int Hidden, int Layers, int Batch, int Seq)
{
    /// <summary>The presets of bench/README.md, by name.</summary>
    public static IReadOnlyDictionary<string, BenchmarkConfig> Presets { get; } = new Dictionary<string, BenchmarkConfig>(StringComparer.Ordinal)
    {
        ["T1"] = new("T1", Vocab: 65, Embedding: 0, Hidden: 128, Layers: 2, Batch: 50, Seq: 50),
        ["T2"] = new("T2", Vocab: 65, Embedding: 64, Hidden: 256, Layers: 2, Batch: 64, Seq: 100),
        ["T3"] = new("T3", Vocab: 65, Embedding: 64, Hidden: 512, Layers: 2, Batch: 64, Seq: 100),
    };

    /// <summary>The model shape (no dropout).</summary>
    public ModelConfig Model => new(Vocab, Embedding, Hidden, Layers);
}

/// <summary>How one benchmark run is made. Defaults follow the PyTorch peer.</summary>
public sealed record BenchmarkSettings
{
    /// <summary>Model and batch.</summary>
    public required BenchmarkConfig Config { get; init; }
    /// <summary>What to measure.</summary>
    public BenchmarkMode Mode { get; init; } = BenchmarkMode.Train;
    /// <summary>Streams sampled at once in <see cref="BenchmarkMode.Generate"/>.</summary>
    public int GenBatch { get; init; } = 1;
    /// <summary>Compute threads.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Minimum measured seconds per repetition (per shape in sgemm).</summary>
    public double Seconds { get; init; } = 5;
    /// <summary>Repetitions.</summary>
    public int Reps { get; init; } = 5;
    /// <summary>Untimed steps before measuring.</summary>
    public int Warmup { get; init; } = 3;
    /// <summary>Seed of the model's initialisation, the random batches and the sampler.</summary>
    public ulong Seed { get; init; } = 1234;
    /// <summary>Training and generation: also time each phase of the step (adds a timestamp per phase; reported as <c>profile</c>).</summary>
    public bool Profile { get; init; }
    /// <summary>Preset fields overridden on the command line (recorded in the output).</summary>
    public IReadOnlyDictionary<string, int> Overrides { get; init; } = new Dictionary<string, int>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Config.Model.Validate();
        if (Config.Batch < 1 || Config.Seq < 1) throw new ArgumentException($"batch and seq must be at least 1, got {Config.Batch} and {Config.Seq}.");
        if (GenBatch < 1) throw new ArgumentException($"--gen-batch must be at least 1, got {GenBatch}.");
        if (Threads < 1 || Threads > 256) throw new ArgumentException($"--threads must be 1 to 256, got {Threads}.");
        if (!(Seconds > 0) || double.IsInfinity(Seconds)) throw new ArgumentException($"--seconds must be positive, got {Seconds}.");
        if (Reps < 1) throw new ArgumentException($"--reps must be at least 1, got {Reps}.");
        if (Warmup < 0) throw new ArgumentException($"--warmup must be 0 or more, got {Warmup}.");
    }
}

/// <summary>One matrix shape's figures in sgemm mode.</summary>
/// <param name="Name">Shape name from the contract (<c>input_l0</c>, <c>recurrent</c>, …).</param>
/// <param name="M">Rows of A and C.</param>
/// <param name="K">Columns of A, rows of B.</param>
/// <param name="N">Columns of B and C.</param>
/// <param name="Reps">GFLOP/s of each repetition.</param>
/// <param name="Median">Median of <paramref name="Reps"/>.</param>
/// <param name="PackedReps">For a shape whose B is a weight matrix: GFLOP/s with B packed once beforehand,
/// as the engine multiplies by its weights (null otherwise).</param>
public sealed record ShapeResult(string Name, int M, int K, int N, double[] Reps, double Median, double[]? PackedReps = null)
{
    /// <summary>Median of <see cref="PackedReps"/>, or null.</summary>
    public double? PackedMedian => PackedReps is null ? null : EngineBenchmark.Median(PackedReps);
}

/// <summary>What a benchmark run measured; <see cref="ToJson"/> writes the contract of bench/README.md.</summary>
public sealed record BenchmarkResult
{
    /// <summary>The settings that ran.</summary>
    public required BenchmarkSettings Settings { get; init; }
    /// <summary>Compute threads actually used.</summary>
    public required int Threads { get; init; }
    /// <summary>Rate of each repetition, in <see cref="Unit"/>.</summary>
    public required double[] Reps { get; init; }
    /// <summary>Median of <see cref="Reps"/>.</summary>
    public double Median => EngineBenchmark.Median(Reps);
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
    /// <summary>Training: parameters, gradients, optimizer moments and the workspace's saved activations and scratch (bytes).</summary>
    public long? ModelBytes { get; init; }

    /// <summary>The result as one JSON object (no trailing newline).</summary>
    public string ToJson()
    {
        var s = Settings;
        var c = s.Config;
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("engine", "charlstm");
            w.WriteString("version", EngineBenchmark.Version);
            w.WriteString("config", c.Name);
            w.WriteNumber("vocab", c.Vocab);
            w.WriteNumber("embedding", c.Embedding);
            w.WriteNumber("hidden", c.Hidden);
            w.WriteNumber("layers", c.Layers);
            w.WriteNumber("batch", c.Batch);
            w.WriteNumber("seq", c.Seq);
            w.WriteString("mode", s.Mode.ToString().ToLowerInvariant());
            if (s.Mode == BenchmarkMode.Generate) w.WriteNumber("gen_batch", s.GenBatch); else w.WriteNull("gen_batch");
            w.WriteNumber("threads", Threads);
            w.WriteNull("openblas_threads");
            WriteRates(w, "reps", Reps);
            w.WriteNumber("median", Math.Round(Median, 3));
            w.WriteString("unit", Unit);
            if (Shapes is not null)
            {
                w.WriteStartArray("shapes");
                foreach (var shape in Shapes)
                {
                    w.WriteStartObject();
                    w.WriteString("name", shape.Name);
                    w.WriteNumber("m", shape.M); w.WriteNumber("k", shape.K); w.WriteNumber("n", shape.N);
                    WriteRates(w, "reps", shape.Reps);
                    w.WriteNumber("median", Math.Round(shape.Median, 3));
                    if (shape.PackedReps is not null)
                    {
                        WriteRates(w, "packed_reps", shape.PackedReps);
                        w.WriteNumber("packed_median", Math.Round(shape.PackedMedian!.Value, 3));
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteNumber("seconds", s.Seconds);
            w.WriteNumber("warmup", s.Warmup);
            w.WriteNumber("seed", s.Seed);
            w.WriteStartObject("overrides");
            foreach (var (key, value) in s.Overrides) w.WriteNumber(key, value);
            w.WriteEndObject();
            w.WriteString("simd", EngineBenchmark.SimdLevel);
            w.WriteString("runtime", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
            w.WriteNumber("peak_rss_bytes", PeakRssBytes);
            w.WriteNumber("baseline_rss_bytes", BaselineRssBytes);
            if (ModelBytes is long bytes)
            {
                w.WriteNumber("model_bytes", bytes);
                // The memory target: (peak − runtime baseline) / (params + optimizer + activations).
                w.WriteNumber("rss_over_model", Math.Round((PeakRssBytes - BaselineRssBytes) / (double)bytes, 3));
            }
            if (Profile is not null)
            {
                w.WriteStartObject("profile");
                foreach (var (phase, share) in Profile) w.WriteNumber(phase, Math.Round(share, 4));
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteRates(Utf8JsonWriter w, string name, double[] rates)
    {
        w.WriteStartArray(name);
        foreach (double r in rates) w.WriteNumberValue(Math.Round(r, 3));
        w.WriteEndArray();
    }
}

/// <summary>
/// Our side of the side-by-side benchmark (bench/README.md): the same work the PyTorch peer does,
/// timed the same way: repetitions of at least a given number of seconds, the clock read after each
/// whole step, untimed warm-up steps first.
/// </summary>
public static unsafe class EngineBenchmark
{
    private const double LearningRate = 2e-3, ClipNorm = 5.0;

    /// <summary>The library's version, as written in the JSON.</summary>
    public static string Version { get; } =
        typeof(EngineBenchmark).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(EngineBenchmark).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The widest SIMD the matrix kernels use on this machine (<c>Vector512</c>, <c>Vector256</c>, <c>Vector128</c> or <c>scalar</c>).</summary>
    public static string SimdLevel => MatMul.BestLevel == MatMul.Level.Scalar ? "scalar" : MatMul.BestLevel.ToString();

    /// <summary>Runs one benchmark; progress lines go to <paramref name="log"/> (stderr in the CLI).</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public static BenchmarkResult Run(BenchmarkSettings settings, TextWriter? log = null)
    {
        settings.Validate();
        log ??= TextWriter.Null;
        return settings.Mode switch
        {
            BenchmarkMode.Train => RunTrain(settings, log),
            BenchmarkMode.Generate => RunGenerate(settings, log),
            BenchmarkMode.Peak => RunPeak(settings, log),
            _ => RunSgemm(settings, log),
        };
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // TimedReps with the share of the measured time per phase when a clock is attached. The clock
    // starts with the measured time, not at its construction (setting a Clock property the first
    // time can include a JIT compile), so the shares never add up to more than that time.
    private static (double[] Reps, IReadOnlyList<(string Phase, double Share)>? Profile) TimedRepsProfiled(
        Action step, double unitsPerCall, BenchmarkSettings s, string label, TextWriter log, PhaseClock? clock)
    {
        long started = Stopwatch.GetTimestamp();
        clock?.Restart();
        var reps = TimedReps(step, unitsPerCall, s.Seconds, s.Reps, label, log);
        double total = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (reps, clock?.Totals().Select(t => (t.Phase, t.Seconds / total)).ToList());
    }

    // Calls step() until at least `seconds` have passed, `reps` times; returns units/s per repetition.
    private static double[] TimedReps(Action step, double unitsPerCall, double seconds, int reps, string label, TextWriter log)
    {
        var rates = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long calls = 0;
            long start = Stopwatch.GetTimestamp();
            double elapsed;
            do
            {
                step();
                calls++;
                elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            } while (elapsed < seconds);
            rates[r] = unitsPerCall * calls / elapsed;
            log.WriteLine($"[charlstm bench] {label} rep {r + 1}/{reps}: {calls} calls in {elapsed:F3}s -> {rates[r]:N1}/s");
        }
        return rates;
    }

    private static long WorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    private static long PeakWorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    // ---------------------------------------------------------------------------------------------
    // Training: full steps on random tokens with the state carried between batches.
    // ---------------------------------------------------------------------------------------------
    private static BenchmarkResult RunTrain(BenchmarkSettings s, TextWriter log)
    {
        var c = s.Config;
        long baseline = WorkingSet();
        var cfg = c.Model;
        var rng = new Rng(s.Seed);
        var model = LstmModel.CreateInitialized(cfg, rng);
        var adam = new Adam(model.Parameters.Length, LearningRate);
        var guard = new StepGuard(adam, ClipNorm);
        var workspace = new NetworkPass(cfg, c.Batch, c.Seq, s.Threads);
        var state = new LstmState(cfg, c.Batch);
        var gradients = new float[model.Parameters.Length];

        // A small pool of random batches made up front, targets shifted by one, as the peer does.
        const int Pool = 8;
        var inputs = new int[Pool][];
        var targets = new int[Pool][];
        for (int i = 0; i < Pool; i++)
        {
            inputs[i] = new int[c.Batch * c.Seq];
            targets[i] = new int[c.Batch * c.Seq];
            for (int b = 0; b < c.Batch; b++)
            {
                int previous = rng.NextInt(c.Vocab);
                for (int t = 0; t < c.Seq; t++)
                {
                    int next = rng.NextInt(c.Vocab);
                    inputs[i][b * c.Seq + t] = previous;
                    targets[i][b * c.Seq + t] = next;
                    previous = next;
                }
            }
        }
        int call = 0;
        PhaseClock? clock = null;
        void Step()
        {
            int i = call++ % Pool;
            Array.Clear(gradients);
            float loss = workspace.Forward(model, inputs[i], targets[i], state, training: true);
            workspace.Backward(model, gradients);
            clock?.Restart();
            guard.Step(model.Parameters, gradients, loss);
            clock?.Lap(StepPhase.Optimizer);
        }
        for (int i = 0; i < s.Warmup; i++) Step();
        if (s.Profile) workspace.Profiler = clock = new PhaseClock();
        var (reps, profile) = TimedRepsProfiled(Step, c.Batch * c.Seq, s, "train", log, clock);
        long modelBytes = 4L * (model.Parameters.Length + gradients.Length) + adam.StateBuffers.Values.Sum(b => 4L * b.Length) + workspace.BufferBytes;
        GC.KeepAlive(workspace);
        return new BenchmarkResult
        {
            Settings = s, Threads = workspace.Threads, Reps = reps, Unit = "chars/s",
            PeakRssBytes = PeakWorkingSet(), BaselineRssBytes = baseline, ModelBytes = modelBytes, Profile = profile,
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Generation: GenBatch streams, one character each per step, sampled at temperature 1.
    // ---------------------------------------------------------------------------------------------
    private static BenchmarkResult RunGenerate(BenchmarkSettings s, TextWriter log)
    {
        var c = s.Config;
        long baseline = WorkingSet();
        var cfg = c.Model;
        var rng = new Rng(s.Seed);
        var model = LstmModel.CreateInitialized(cfg, rng);
        // As the library generates: the threads the step's size is worth (one for a small model at
        // batch 1); the JSON's `threads` says how many ran.
        var inference = new InferenceModel(model);
        var session = new GenerationSession(inference, s.GenBatch, InferenceSession.UsefulThreads(inference, s.GenBatch, s.Threads));
        var options = new SamplingOptions(Temperature: 1f);
        var tokens = new int[s.GenBatch];
        for (int b = 0; b < tokens.Length; b++) tokens[b] = rng.NextInt(cfg.VocabSize);
        // One generator per stream, as independent samples (or requests) would have; the session
        // draws each stream's next character on the thread team.
        var rngs = new Rng[s.GenBatch];
        for (int b = 0; b < rngs.Length; b++) rngs[b] = new Rng(rng.NextUInt64());
        void Step() => session.StepAndSample(tokens, options, rngs).CopyTo(tokens);
        for (int i = 0; i < s.Warmup; i++) Step();
        PhaseClock? clock = null;
        if (s.Profile) session.Inference.Profiler = clock = new PhaseClock();
        var (reps, profile) = TimedRepsProfiled(Step, s.GenBatch, s, $"generate b{s.GenBatch}", log, clock);
        return new BenchmarkResult
        {
            Settings = s, Threads = session.Inference.Threads, Reps = reps, Unit = "chars/s",
            PeakRssBytes = PeakWorkingSet(), BaselineRssBytes = baseline, Profile = profile,
        };
    }

    // ---------------------------------------------------------------------------------------------
    // Matrix multiply on the shapes the LSTM uses (names and shapes as the peer's).
    // ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The (name, M, K, N) products of the contract for <paramref name="c"/>; <c>WeightB</c>: B is a weight
    /// matrix, which the engine packs once per pass (training) or once per model (generation).
    /// </summary>
    public static IReadOnlyList<(string Name, int M, int K, int N, bool WeightB)> SgemmShapes(BenchmarkConfig c)
    {
        int rows = c.Seq * c.Batch, h = c.Hidden, gw = 4 * h, in0 = c.Embedding > 0 ? c.Embedding : c.Vocab;
        bool upper = c.Layers > 1;
        var shapes = new List<(string, int, int, int, bool)> { ("input_l0", rows, in0, gw, true) };
        if (upper) shapes.Add(("input_upper", rows, h, gw, true));
        shapes.Add(("recurrent", c.Batch, h, gw, true));
        shapes.Add(("recurrent_backward", c.Batch, gw, h, true));
        if (upper) shapes.Add(("input_grad", rows, gw, h, true));
        shapes.Add(("weight_grad", gw, rows, h, false));
        shapes.Add(("head", rows, h, c.Vocab, true));
        shapes.Add(("gen32_l0", 32, h, gw, true));
        if (upper) shapes.Add(("gen32_upper", 32, 2 * h, gw, true));
        shapes.Add(("square2048", 2048, 2048, 2048, false));
        return shapes;
    }

    // ---------------------------------------------------------------------------------------------
    // Arithmetic ceiling: fused multiply-adds on registers, every thread started together.
    // ---------------------------------------------------------------------------------------------

    private static BenchmarkResult RunPeak(BenchmarkSettings s, TextWriter log)
    {
        long baseline = WorkingSet();
        var reps = new double[s.Reps];
        for (int r = -1; r < s.Reps; r++)
        {
            double seconds = r < 0 ? Math.Min(0.2, s.Seconds) : s.Seconds; // r = −1 warms up (JIT, clocks)
            var flops = new double[s.Threads];
            using var ready = new Barrier(s.Threads + 1);
            var workers = new Thread[s.Threads];
            for (int t = 0; t < s.Threads; t++)
            {
                int member = t;
                workers[t] = new Thread(() =>
                {
                    ready.SignalAndWait();
                    long start = Stopwatch.GetTimestamp();
                    double done = 0;
                    float sink = 0;
                    while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds)
                    {
                        sink += FmaChains(1 << 20, out double perCall);
                        done += perCall;
                    }
                    flops[member] = done + (sink == 42f ? 1 : 0);
                }) { IsBackground = true, Name = $"charlstm-peak-{t}" };
                workers[t].Start();
            }
            ready.SignalAndWait();
            long wallStart = Stopwatch.GetTimestamp();
            foreach (var worker in workers) worker.Join();
            double wall = Stopwatch.GetElapsedTime(wallStart).TotalSeconds;
            if (r < 0) continue;
            reps[r] = flops.Sum() / wall / 1e9;
            log.WriteLine($"[charlstm bench] peak rep {r + 1}/{s.Reps}: {reps[r]:N1} GFLOP/s on {s.Threads} threads");
        }
        return new BenchmarkResult
        {
            Settings = s, Threads = s.Threads, Reps = reps, Unit = "GFLOP/s",
            PeakRssBytes = PeakWorkingSet(), BaselineRssBytes = baseline,
        };
    }

    // `iterations` rounds of 12 independent FMA chains at the widest accelerated width (12 chains
    // cover the FMA latency on two pipes); returns a value the caller keeps so nothing is elided.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float FmaChains(int iterations, out double flops)
    {
        float seed = 1.0001f + iterations * 1e-12f;
        if (Vector512.IsHardwareAccelerated)
        {
            flops = 12.0 * 2 * Vector512<float>.Count * iterations;
            var m = Vector512.Create(0.9999f); var a = Vector512.Create(seed);
            Vector512<float> c0 = a, c1 = a + m, c2 = a - m, c3 = m, c4 = a * m, c5 = a + a, c6 = m + m, c7 = a * a, c8 = m * m, c9 = a + m + m, c10 = a - m - m, c11 = m - a;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a); c2 = Vector512.FusedMultiplyAdd(c2, m, a);
                c3 = Vector512.FusedMultiplyAdd(c3, m, a); c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a); c8 = Vector512.FusedMultiplyAdd(c8, m, a);
                c9 = Vector512.FusedMultiplyAdd(c9, m, a); c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            flops = 12.0 * 2 * Vector256<float>.Count * iterations;
            var m = Vector256.Create(0.9999f); var a = Vector256.Create(seed);
            Vector256<float> c0 = a, c1 = a + m, c2 = a - m, c3 = m, c4 = a * m, c5 = a + a, c6 = m + m, c7 = a * a, c8 = m * m, c9 = a + m + m, c10 = a - m - m, c11 = m - a;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a); c2 = Vector256.FusedMultiplyAdd(c2, m, a);
                c3 = Vector256.FusedMultiplyAdd(c3, m, a); c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
                c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a); c8 = Vector256.FusedMultiplyAdd(c8, m, a);
                c9 = Vector256.FusedMultiplyAdd(c9, m, a); c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
            }
            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            flops = 12.0 * 2 * Vector128<float>.Count * iterations;
            var m = Vector128.Create(0.9999f); var a = Vector128.Create(seed);
            Vector128<float> c0 = a, c1 = a + m, c2 = a - m, c3 = m, c4 = a * m, c5 = a + a, c6 = m + m, c7 = a * a, c8 = m * m, c9 = a + m + m, c10 = a - m - m, c11 = m - a;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Vector128.FusedMultiplyAdd(c0, m, a); c1 = Vector128.FusedMultiplyAdd(c1, m, a); c2 = Vector128.FusedMultiplyAdd(c2, m, a);
                c3 = Vector128.FusedMultiplyAdd(c3, m, a); c4 = Vector128.FusedMultiplyAdd(c4, m, a); c5 = Vector128.FusedMultiplyAdd(c5, m, a);
                c6 = Vector128.FusedMultiplyAdd(c6, m, a); c7 = Vector128.FusedMultiplyAdd(c7, m, a); c8 = Vector128.FusedMultiplyAdd(c8, m, a);
                c9 = Vector128.FusedMultiplyAdd(c9, m, a); c10 = Vector128.FusedMultiplyAdd(c10, m, a); c11 = Vector128.FusedMultiplyAdd(c11, m, a);
            }
            return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
        flops = 12.0 * 2 * iterations;
        float s0 = seed, s1 = seed + 1, s2 = seed + 2, s3 = seed + 3, s4 = seed + 4, s5 = seed + 5, s6 = seed + 6, s7 = seed + 7, s8 = seed + 8, s9 = seed + 9, s10 = seed + 10, s11 = seed + 11;
        for (int i = 0; i < iterations; i++)
        {
            s0 = MathF.FusedMultiplyAdd(s0, 0.9999f, seed); s1 = MathF.FusedMultiplyAdd(s1, 0.9999f, seed); s2 = MathF.FusedMultiplyAdd(s2, 0.9999f, seed);
            s3 = MathF.FusedMultiplyAdd(s3, 0.9999f, seed); s4 = MathF.FusedMultiplyAdd(s4, 0.9999f, seed); s5 = MathF.FusedMultiplyAdd(s5, 0.9999f, seed);
            s6 = MathF.FusedMultiplyAdd(s6, 0.9999f, seed); s7 = MathF.FusedMultiplyAdd(s7, 0.9999f, seed); s8 = MathF.FusedMultiplyAdd(s8, 0.9999f, seed);
            s9 = MathF.FusedMultiplyAdd(s9, 0.9999f, seed); s10 = MathF.FusedMultiplyAdd(s10, 0.9999f, seed); s11 = MathF.FusedMultiplyAdd(s11, 0.9999f, seed);
        }
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11;
    }

    private static BenchmarkResult RunSgemm(BenchmarkSettings s, TextWriter log)
    {
        long baseline = WorkingSet();
        var rng = new Rng(s.Seed);
        var results = new List<ShapeResult>();
        using var team = new ThreadTeam(s.Threads);
        var packed = new PackedMatrix();
        foreach (var (name, m, k, n, weightB) in SgemmShapes(s.Config))
        {
            var a = new float[(long)m * k];
            var b = new float[(long)k * n];
            var cMat = new float[(long)m * n];
            for (int i = 0; i < a.Length; i++) a[i] = rng.NextGaussian();
            for (int i = 0; i < b.Length; i++) b[i] = rng.NextGaussian();
            double gflop = 2.0 * m * k * n / 1e9;
            fixed (float* pa = a, pb = b, pc = cMat)
            {
                float* ap = pa, bp = pb, cp = pc;
                void Step() => MatMul.Multiply(team, MatrixView.Dense(cp, m, n), MatrixView.Dense(ap, m, k), MatrixView.Dense(bp, k, n), accumulate: false);
                for (int i = 0; i < Math.Max(s.Warmup, 1); i++) Step();
                var reps = TimedReps(Step, gflop, s.Seconds, s.Reps, $"sgemm {name}", log);
                double[]? packedReps = null;
                if (weightB)
                {
                    // As the engine runs it: the weights packed once, outside the timed products.
                    packed.Pack(team, MatrixView.Dense(bp, k, n));
                    void PackedStep() => MatMul.Multiply(team, MatrixView.Dense(cp, m, n), MatrixView.Dense(ap, m, k), packed, accumulate: false);
                    for (int i = 0; i < Math.Max(s.Warmup, 1); i++) PackedStep();
                    packedReps = TimedReps(PackedStep, gflop, s.Seconds, s.Reps, $"sgemm {name} (B packed once)", log);
                }
                results.Add(new ShapeResult(name, m, k, n, reps, Median(reps), packedReps));
            }
        }
        var square = results.Single(r => r.Name == "square2048");
        return new BenchmarkResult
        {
            Settings = s, Threads = team.Size, Reps = square.Reps, Unit = "GFLOP/s", Shapes = results,
            PeakRssBytes = PeakWorkingSet(), BaselineRssBytes = baseline,
        };
    }
}
