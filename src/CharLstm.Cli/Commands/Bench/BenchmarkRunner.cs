using System.Diagnostics;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;
using CharLstm.Training;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>
/// Our side of the side-by-side benchmark (bench/README.md): the same work the PyTorch peer does,
/// timed the same way: repetitions of at least a given number of seconds, the clock read after each
/// whole step, untimed warm-up steps first.
/// </summary>
internal static class BenchmarkRunner
{
    private const double LearningRate = 2e-3, ClipNorm = 5.0;

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
            BenchmarkMode.Peak => PeakFlops.Run(settings, log),
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
            log.WriteLine($"[charlstm bench] {label} rep {r + 1}/{reps}: {calls} call{(calls == 1 ? "" : "s")} in {elapsed:F3}s -> {rates[r]:N1}/s");
        }
        return rates;
    }

    internal static long WorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    internal static long PeakWorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    // The configuration's model, initialised from the seed, and the working set before it was built
    // (the runtime's own share); the generator goes on to make the batches or the samplers' seeds.
    private static (LstmModel Model, Rng Rng, long Baseline) NewModel(BenchmarkSettings s)
    {
        long baseline = WorkingSet();
        var rng = new Rng(s.Seed);
        return (LstmModel.CreateInitialized(s.Config.Model, rng), rng, baseline);
    }

    // ---------------------------------------------------------------------------------------------
    // Training: full steps on random tokens with the state carried between batches.
    // ---------------------------------------------------------------------------------------------
    private static BenchmarkResult RunTrain(BenchmarkSettings s, TextWriter log)
    {
        var c = s.Config;
        var (model, rng, baseline) = NewModel(s);
        var cfg = model.Config;
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
        var (model, rng, baseline) = NewModel(s);
        var cfg = model.Config;
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


    private static BenchmarkResult RunSgemm(BenchmarkSettings s, TextWriter log)
    {
        long baseline = WorkingSet();
        var rng = new Rng(s.Seed);
        var results = new List<ShapeResult>();
        using var product = new MatrixProduct(s.Threads);
        foreach (var (name, m, k, n, weightB) in SgemmShapes(s.Config))
        {
            var a = new float[(long)m * k];
            var b = new float[(long)k * n];
            var c = new float[(long)m * n];
            for (int i = 0; i < a.Length; i++) a[i] = rng.NextGaussian();
            for (int i = 0; i < b.Length; i++) b[i] = rng.NextGaussian();
            double gflop = 2.0 * m * k * n / 1e9;
            void Step() => product.Multiply(c, a, b, m, k, n);
            for (int i = 0; i < Math.Max(s.Warmup, 1); i++) Step();
            var reps = TimedReps(Step, gflop, s.Seconds, s.Reps, $"sgemm {name}", log);
            double[]? packedReps = null;
            if (weightB)
            {
                // As the engine runs it: the weights packed once, outside the timed products.
                product.PackB(b, k, n);
                void PackedStep() => product.MultiplyPacked(c, a, m);
                for (int i = 0; i < Math.Max(s.Warmup, 1); i++) PackedStep();
                packedReps = TimedReps(PackedStep, gflop, s.Seconds, s.Reps, $"sgemm {name} (B packed once)", log);
            }
            results.Add(new ShapeResult(name, m, k, n, reps, packedReps));
        }
        var square = results.Single(r => r.Name == "square2048");
        return new BenchmarkResult
        {
            Settings = s, Threads = product.Threads, Reps = square.Reps, Unit = "GFLOP/s", Shapes = results,
            PeakRssBytes = PeakWorkingSet(), BaselineRssBytes = baseline,
        };
    }
}
