using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;

namespace CharLstm.AB;

/// <summary>
/// An in-process A/B of two builds of the charlstm tool: each build is loaded into its own
/// AssemblyLoadContext, and its bench verb (the same contract the side-by-side runner uses) runs the
/// same cases in alternation, block after block, the order of the two builds reversed every block.
/// Both builds then meet the same machine state (other tenants, clocks, thermal) within each block,
/// and the figure per case is the median over blocks of B's rate over A's.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: dotnet run -c Release --project bench/CharLstm.AB -- A_DIR B_DIR [--blocks N] [--seconds S] [--threads T] [--cases LIST]
          A_DIR, B_DIR  folders holding a built CharLstm.Cli.dll (e.g. two git worktrees' src/CharLstm.Cli/bin/Release/net10.0)
          --blocks N    blocks of every case on both builds (default 8)
          --seconds S   measured seconds per run (default 2)
          --threads T   compute threads (default 2)
          --cases LIST  comma-separated mode:config[:genBatch] (default: the side-by-side runner's training and generation figures)
        """;

    private static readonly string[] DefaultCases =
        ["train:T1", "train:T2", "train:T3", "generate:T1:1", "generate:T2:1", "generate:T3:1", "generate:T1:32", "generate:T2:32", "generate:T3:32"];

    private static int Main(string[] args)
    {
        if (args.Length < 2 || args.Contains("--help")) { Console.Error.WriteLine(Usage); return 2; }
        int blocks = Option(args, "--blocks", 8), threads = Option(args, "--threads", 2);
        double seconds = double.Parse(OptionText(args, "--seconds") ?? "2", CultureInfo.InvariantCulture);
        string[] cases = OptionText(args, "--cases")?.Split(',') ?? DefaultCases;
        var builds = new[] { Build.Load("A", args[0]), Build.Load("B", args[1]) };
        Console.Error.WriteLine($"A = {builds[0].Folder}\nB = {builds[1].Folder}\n{blocks} blocks × {cases.Length} cases × 2 builds, {seconds} s each, {threads} threads");

        var rates = cases.ToDictionary(c => c, _ => new List<(double A, double B)>());
        for (int block = 0; block < blocks; block++)
        {
            foreach (string c in cases)
            {
                var order = block % 2 == 0 ? new[] { 0, 1 } : [1, 0];
                var rate = new double[2];
                foreach (int side in order) rate[side] = builds[side].Bench(c, threads, seconds);
                rates[c].Add((rate[0], rate[1]));
                Console.Error.WriteLine($"block {block + 1}/{blocks} {c,-16} A {rate[0],12:N0}  B {rate[1],12:N0}  B/A {rate[1] / rate[0]:F3}");
            }
        }

        Console.WriteLine("| case | A median | B median | B/A per block: median (min–max) |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (string c in cases)
        {
            var r = rates[c];
            var ratios = r.Select(x => x.B / x.A).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c} | {Median(r.Select(x => x.A)):N0} | {Median(r.Select(x => x.B)):N0} | {Median(ratios):F3} ({ratios.Min():F3}–{ratios.Max():F3}) |"));
        }
        return 0;
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>One build of the tool, loaded into a context of its own with its own dependencies.</summary>
    private sealed class Build(string name, string folder, MethodInfo main)
    {
        public string Folder { get; } = folder;

        public static Build Load(string name, string folder)
        {
            string path = Path.GetFullPath(Path.Combine(folder, "CharLstm.Cli.dll"));
            if (!File.Exists(path)) throw new FileNotFoundException($"no CharLstm.Cli.dll in {folder}: build it with dotnet build -c Release", path);
            var context = new BuildContext(name, path);
            var assembly = context.LoadFromAssemblyPath(path);
            var main = assembly.EntryPoint ?? throw new InvalidOperationException($"{path} has no entry point");
            return new Build(name, Path.GetDirectoryName(path)!, main);
        }

        /// <summary>The median rate of one bench run of <paramref name="spec"/> (mode:config[:genBatch]).</summary>
        public double Bench(string spec, int threads, double seconds)
        {
            var parts = spec.Split(':');
            var args = new List<string> { "bench", "--mode", parts[0], "--config", parts[1], "--threads", threads.ToString(CultureInfo.InvariantCulture),
                "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--reps", "1", "--warmup", "3" };
            if (parts.Length > 2) args.AddRange(["--gen-batch", parts[2]]);
            var stdout = Console.Out;
            var stderr = Console.Error;
            var captured = new StringWriter();
            Console.SetOut(captured);
            Console.SetError(TextWriter.Null);
            int code;
            try { code = (int)main.Invoke(null, [args.ToArray()])!; }
            finally { Console.SetOut(stdout); Console.SetError(stderr); }
            if (code != 0) throw new InvalidOperationException($"build {name}: charlstm {string.Join(' ', args)} exited {code}");
            // Let the run's thread team finish spinning and be collected before the next run starts.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(300);
            using var json = JsonDocument.Parse(captured.ToString());
            return json.RootElement.GetProperty("median").GetDouble();
        }
    }

    private sealed class BuildContext(string name, string mainAssembly) : AssemblyLoadContext("charlstm-" + name)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName) =>
            _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
