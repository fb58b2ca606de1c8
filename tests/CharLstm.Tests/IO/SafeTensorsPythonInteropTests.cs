using System.Diagnostics;
using System.Text.Json;
using CharLstm.IO;
using static CharLstm.Tests.IO.SafeTensorsTestFiles;

namespace CharLstm.Tests.IO;

/// <summary>
/// Checks that PyTorch reads our files: writes one, loads it with tools/safetensors_min.py (a stand-in for
/// safetensors.torch.load_file) and compares every value bit for bit. Needs /usr/bin/python3 with torch
/// (<see cref="Requires.Torch"/>: skipped without it, failed without it under CI).
/// </summary>
public class SafeTensorsPythonInteropTests
{
    [Fact]
    public void Python_reader_loads_what_we_write_when_torch_is_installed()
    {
        Requires.Torch();

        (TensorEntry[] tensors, Dictionary<string, string> metadata) = Sample();
        string path = Path.Combine(Path.GetTempPath(), $"charlstm-interop-{Guid.NewGuid():N}.safetensors");
        try
        {
            AtomicFile.Write(path, stream => SafeTensors.Write(stream, tensors, metadata));
            (int exitCode, string stdout, string stderr) = Run(Script(), path);
            Assert.True(exitCode == 0, $"python failed ({exitCode}): {stderr}");

            using JsonDocument json = JsonDocument.Parse(stdout);
            Assert.Equal(metadata, json.RootElement.GetProperty("metadata").Deserialize<Dictionary<string, string>>());
            JsonElement loaded = json.RootElement.GetProperty("tensors");
            Assert.Equal(tensors.Length, loaded.EnumerateObject().Count());
            foreach (TensorEntry tensor in tensors)
            {
                JsonElement entry = loaded.GetProperty(tensor.Name);
                Assert.Equal("torch.float32", entry.GetProperty("dtype").GetString());
                Assert.Equal(tensor.Shape, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
                // Python prints each float32 as the exact double, so the cast back is exact.
                int[] actualBits = [.. entry.GetProperty("values").EnumerateArray().Select(v => BitConverter.SingleToInt32Bits((float)v.GetDouble()))];
                Assert.Equal(tensor.Data.Select(BitConverter.SingleToInt32Bits), actualBits);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Script()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string script = Path.Combine(folder.FullName, "tools", "safetensors_min.py");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new FileNotFoundException("tools/safetensors_min.py not found above " + AppContext.BaseDirectory);
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Requires.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Requires.Python} {string.Join(' ', arguments)} did not finish in 120 s.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
