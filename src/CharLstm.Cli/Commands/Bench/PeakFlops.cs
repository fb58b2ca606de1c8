using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>
/// The peak mode: GFLOP/s of independent fused multiply-adds held in registers on every thread at
/// once, with no memory traffic: the arithmetic ceiling of this machine at this moment, to judge the
/// other figures against.
/// </summary>
internal static class PeakFlops
{
    /// <summary>Runs the peak mode with <paramref name="s"/>'s threads, seconds and repetitions.</summary>
    public static BenchmarkResult Run(BenchmarkSettings s, TextWriter log)
    {
        long baseline = BenchmarkRunner.WorkingSet();
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
                })
                { IsBackground = true, Name = $"charlstm-peak-{t}" };
                workers[t].Start();
            }
            ready.SignalAndWait();
            long wallStart = Stopwatch.GetTimestamp();
            foreach (var worker in workers) worker.Join();
            double wall = Stopwatch.GetElapsedTime(wallStart).TotalSeconds;
            if (r < 0) continue;
            reps[r] = flops.Sum() / wall / 1e9;
            log.WriteLine($"[charlstm bench] peak rep {r + 1}/{s.Reps}: {reps[r]:N1} GFLOP/s on {s.Threads} thread{(s.Threads == 1 ? "" : "s")}");
        }
        return new BenchmarkResult
        {
            Settings = s, Threads = s.Threads, Reps = reps, Unit = "GFLOP/s",
            PeakRssBytes = BenchmarkRunner.PeakWorkingSet(), BaselineRssBytes = baseline,
        };
    }

    // `iterations` rounds of 12 independent FMA chains at the widest accelerated width (12 chains
    // cover the FMA latency on two pipes); returns a value the caller keeps so nothing is elided.
    // The Vector512, Vector256, Vector128 and scalar blocks are per-SIMD-width twins: the same loop
    // at each width, because the peak is the widest width's.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float FmaChains(int iterations, out double flops)
    {
        float seed = 1.0001f + iterations * 1e-12f;
        if (Vector512.IsHardwareAccelerated)
        {
            flops = 12.0 * 2 * Vector512<float>.Count * iterations;
            var m = Vector512.Create(0.9999f); var a = Vector512.Create(seed);
            Vector512<float> c0 = a, c1 = a + m, c2 = a - m, c3 = m, c4 = a * m, c5 = a + a;
            Vector512<float> c6 = m + m, c7 = a * a, c8 = m * m, c9 = a + m + m, c10 = a - m - m, c11 = m - a;
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
            Vector256<float> c0 = a, c1 = a + m, c2 = a - m, c3 = m, c4 = a * m, c5 = a + a;
            Vector256<float> c6 = m + m, c7 = a * a, c8 = m * m, c9 = a + m + m, c10 = a - m - m, c11 = m - a;
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
            Vector128<float> c0 = a, c1 = a + m, c2 = a - m, c3 = m, c4 = a * m, c5 = a + a;
            Vector128<float> c6 = m + m, c7 = a * a, c8 = m * m, c9 = a + m + m, c10 = a - m - m, c11 = m - a;
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
        float s0 = seed, s1 = seed + 1, s2 = seed + 2, s3 = seed + 3, s4 = seed + 4, s5 = seed + 5;
        float s6 = seed + 6, s7 = seed + 7, s8 = seed + 8, s9 = seed + 9, s10 = seed + 10, s11 = seed + 11;
        for (int i = 0; i < iterations; i++)
        {
            s0 = MathF.FusedMultiplyAdd(s0, 0.9999f, seed); s1 = MathF.FusedMultiplyAdd(s1, 0.9999f, seed); s2 = MathF.FusedMultiplyAdd(s2, 0.9999f, seed);
            s3 = MathF.FusedMultiplyAdd(s3, 0.9999f, seed); s4 = MathF.FusedMultiplyAdd(s4, 0.9999f, seed); s5 = MathF.FusedMultiplyAdd(s5, 0.9999f, seed);
            s6 = MathF.FusedMultiplyAdd(s6, 0.9999f, seed); s7 = MathF.FusedMultiplyAdd(s7, 0.9999f, seed); s8 = MathF.FusedMultiplyAdd(s8, 0.9999f, seed);
            s9 = MathF.FusedMultiplyAdd(s9, 0.9999f, seed); s10 = MathF.FusedMultiplyAdd(s10, 0.9999f, seed); s11 = MathF.FusedMultiplyAdd(s11, 0.9999f, seed);
        }
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11;
    }
}
