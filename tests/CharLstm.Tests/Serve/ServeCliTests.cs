using System.Diagnostics;
using System.Text;

namespace CharLstm.Tests.Serve;

/// <summary>The serve verb as a user runs it: a real process, its messages and exit codes, and SIGTERM.</summary>
public sealed class ServeCliTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_listens_answers_and_ends_a_stream_cleanly_on_SIGTERM()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string tool = Path.Combine(AppContext.BaseDirectory, "CharLstm.Cli.dll");
        foreach (string a in new[] { tool, "serve", "-m", ServedRun.Folder, "--urls", "http://127.0.0.1:0", "--max-tokens", "1000000" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            string? address = null;
            while (await process.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                if (line.StartsWith("charlstm serve: listening on ", StringComparison.Ordinal)) address = line["charlstm serve: listening on ".Length..];
                if (line.Contains("ready", StringComparison.Ordinal)) break;
            }
            Assert.NotNull(address);
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal("""{"status":"ok"}""", await http.GetStringAsync("/health", Ct));

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = new StringContent("""{"prompt":"the","max_tokens":1000000,"stream":true}""", Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            Assert.Single(await TestServer.ReadEventsAsync(reader, Ct, max: 1));
            string pid = process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using (var kill = Process.Start("kill", ["-TERM", pid])) await kill.WaitForExitAsync(Ct);
            var rest = await TestServer.ReadEventsAsync(reader, Ct);
            Assert.Equal("[DONE]", rest[^1]);
            Assert.True(process.WaitForExit(15_000), "serve did not stop within 15 s of SIGTERM");
            Assert.True(process.ExitCode == 0, await stderr);
            Assert.Contains("stopped", await process.StandardOutput.ReadToEndAsync(Ct), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Bad_options_and_missing_models_get_a_message_and_an_exit_code_not_a_stack_trace()
    {
        using var cli = new CliRunner();
        var zero = cli.Run("serve", "-m", ServedRun.Folder, "--max-streams", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--max-streams must be 1 to 4,096, got 0.", zero.Stderr, StringComparison.Ordinal);
        var https = cli.Run("serve", "-m", ServedRun.Folder, "--urls", "https://127.0.0.1:0");
        Assert.Equal(2, https.ExitCode);
        Assert.Contains("--urls", https.Stderr, StringComparison.Ordinal);
        var twice = cli.Run("serve", "-m", ServedRun.Folder, "-m", ServedRun.ModelFile);
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("two models are named 'run'", twice.Stderr, StringComparison.Ordinal);
        var missing = cli.Run("serve", "-m", cli.PathOf("nothing.safetensors"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no model file at", missing.Stderr, StringComparison.Ordinal);
        File.WriteAllText(cli.PathOf("junk.safetensors"), "not a model");
        var junk = cli.Run("serve", "-m", cli.PathOf("junk.safetensors"), "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, junk.ExitCode);
        foreach (var result in new[] { zero, https, twice, missing, junk }) Assert.DoesNotContain("   at ", result.All, StringComparison.Ordinal);
    }
}
