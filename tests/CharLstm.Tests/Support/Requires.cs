using System.Diagnostics;

namespace CharLstm.Tests.Support;

/// <summary>
/// What a test needs from the machine. A test whose need is missing is reported as skipped, with the
/// reason, never as passed; under CI (environment CI=true) a missing need fails instead, because CI
/// installs everything the suite uses (.ci/run).
/// </summary>
internal static class Requires
{
    /// <summary>Debian's interpreter, which has python3-torch (the python3 on PATH may be another one).</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> TorchMissing = new(() => PythonModuleMissing("torch"));

    /// <summary>/usr/bin/python3 with torch (apt-get install python3-torch libopenblas0-pthread).</summary>
    public static void Torch() => Need(TorchMissing.Value, "apt-get install -y python3-torch libopenblas0-pthread");

    private static readonly Lazy<string?> OnnxMissing = new(() => PythonModuleMissing("onnx"));

    /// <summary>/usr/bin/python3 with the onnx package, whose checker judges the exported graphs (apt-get install python3-onnx).</summary>
    public static void Onnx() => Need(OnnxMissing.Value, "apt-get install -y python3-onnx");

    private static readonly Lazy<string?> MatplotlibMissing = new(() => PythonModuleMissing("matplotlib"));

    /// <summary>/usr/bin/python3 with matplotlib, which draws bench/quality.py's plot (apt-get install python3-matplotlib).</summary>
    public static void Matplotlib() => Need(MatplotlibMissing.Value, "apt-get install -y --no-install-recommends python3-matplotlib");

    /// <summary>Whether /usr/bin/python3 imports <paramref name="module"/> (an optional extra, such as onnxruntime).</summary>
    public static bool PythonHas(string module) => PythonModuleMissing(module) is null;

    // Null when /usr/bin/python3 imports the module, else why not.
    private static string? PythonModuleMissing(string module)
    {
        if (!File.Exists(Python)) return $"{Python} is not installed";
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-c", "import " + module }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.WaitForExit(120_000);
        return process.ExitCode == 0 ? null : $"{Python} cannot import {module} ({process.StandardError.ReadToEnd().Trim().Split('\n')[^1]})";
    }

    /// <summary>Debian's Chromium, which the playground's browser test drives through Playwright (no browser download).</summary>
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>/usr/bin/chromium (apt-get install chromium).</summary>
    public static void Browser() => Need(File.Exists(Chromium) ? null : $"{Chromium} is not installed", "apt-get install -y chromium");

    private static void Need(string? missing, string install)
    {
        if (missing is null) return;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail($"{missing}; CI must run this test ({install}).");
        Assert.Skip($"{missing}; install it to run this test: {install}");
    }
}
