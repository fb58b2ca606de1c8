using System.Diagnostics;
using System.Text;

namespace CharLstm.Tests.Support;

/// <summary>Runs the real charlstm CLI (the built CharLstm.Cli.dll) as a child process in a scratch folder.</summary>
public sealed class CliRunner : IDisposable
{
    public CliRunner()
    {
        Folder = Path.Combine(Path.GetTempPath(), "charlstm-cli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => Stdout + Stderr;

        /// <summary>Fails when the output shows a stack trace or names an exception: bad input gets a message, never those.</summary>
        /// <param name="command">The command as shown in a failure, when the caller runs many.</param>
        public void AssertNoStackTrace(string? command = null)
        {
            string where = command is null ? "" : command + ": ";
            Assert.False(All.Contains("   at ", StringComparison.Ordinal), $"{where}stack trace\n{All}");
            Assert.False(All.Contains("Exception", StringComparison.Ordinal), $"{where}exception named\n{All}");
        }
    }

    public Result Run(params string[] args) => RunWithInput(null, args);

    /// <summary>
    /// Runs the CLI as the unprivileged user 'nobody' (uid and gid 65534, through setpriv; the caller
    /// must be root), for what a user without root's privileges meets. The scratch folder is made
    /// readable to that user, and the tool runs from a copy of its assemblies inside it (the build
    /// output may lie where only root can read, such as under /root).
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public Result RunAsNobody(params string[] args)
    {
        string tool = PathOf("tool");
        Directory.CreateDirectory(tool);
        foreach (string file in Directory.EnumerateFiles(AppContext.BaseDirectory))
            if (file.EndsWith(".dll", StringComparison.Ordinal) || file.EndsWith(".json", StringComparison.Ordinal))
                File.Copy(file, Path.Combine(tool, Path.GetFileName(file)));
        var readable = UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(Folder, File.GetUnixFileMode(Folder) | readable);
        File.SetUnixFileMode(tool, File.GetUnixFileMode(tool) | readable);
        return Start(null, ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=" + Path.GetTempPath(), "dotnet"], args, tool);
    }

    public Result RunWithInput(string? stdin, params string[] args) => Start(stdin, ["dotnet"], args, AppContext.BaseDirectory);

    private Result Start(string? stdin, string[] launcher, string[] args, string toolFolder)
    {
        var psi = new ProcessStartInfo(launcher[0])
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in launcher.Skip(1)) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Path.Combine(toolFolder, "CharLstm.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CHARLSTM_CACHE"] = PathOf("cache"); // never reach the network from tests
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(180_000)) { p.Kill(true); throw new TimeoutException("charlstm " + string.Join(' ', args)); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A generated corpus with learnable structure: simple sentences from a small grammar.</summary>
    public string WriteCorpus(string name = "corpus.txt", int sentences = 1200, ulong seed = 1)
    {
        string[] subjects = ["the cat", "a dog", "my friend", "the old king", "she", "he"];
        string[] verbs = ["sees", "likes", "finds", "hears", "follows"];
        string[] objects = ["the moon", "a bird", "the sea", "his hat", "the road home"];
        var rng = new CharLstm.Numerics.Rng(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < sentences; i++)
            sb.Append(subjects[rng.NextInt(subjects.Length)]).Append(' ').Append(verbs[rng.NextInt(verbs.Length)]).Append(' ')
              .Append(objects[rng.NextInt(objects.Length)]).Append(rng.NextInt(4) == 0 ? ".\n" : ". ");
        File.WriteAllText(PathOf(name), sb.ToString());
        return PathOf(name);
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
