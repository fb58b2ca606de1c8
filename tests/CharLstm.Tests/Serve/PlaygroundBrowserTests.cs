using CharLstm.Cli.Commands.Serve;
using CharLstm.Model;
using CharLstm.Numerics;
using Microsoft.Playwright;

namespace CharLstm.Tests.Serve;

/// <summary>
/// The playground in headless Chromium (Debian's, through Playwright): type a prompt, Generate, watch the text stream in,
/// Stop; the loss curve is drawn and the page fits a phone. Screenshots go to $CHARLSTM_ARTIFACTS, else artifacts/ beside
/// the test assembly.
/// </summary>
public sealed class PlaygroundBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A wider model than the tiny run's, so a step takes long enough (a millisecond or so) to watch the text arrive;
    // untrained, over the tiny run's vocabulary, with its metrics.csv beside it for the loss curve.
    private static string SlowModel(TempFolder folder)
    {
        var tiny = CharLanguageModel.Load(ServedRun.ModelFile);
        var network = LstmModel.CreateInitialized(new ModelConfig(tiny.Vocabulary.Size, 32, 384, 2), new Rng(1));
        string path = Path.Combine(folder.Path, "run", "best.safetensors");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        new CharLanguageModel(network, tiny.Vocabulary, tiny.Summary, tiny.TextOptions).Save(path);
        File.Copy(Path.Combine(ServedRun.Folder, "metrics.csv"), Path.Combine(folder.Path, "run", "metrics.csv"));
        return path;
    }

    private static string Artifacts()
    {
        string folder = Environment.GetEnvironmentVariable("CHARLSTM_ARTIFACTS") is { Length: > 0 } set
            ? set : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task Type_generate_see_the_text_stream_in_then_stop()
    {
        Requires.Browser();
        using var folder = new TempFolder();
        var settings = TestServer.Settings(new ServerLimits { MaxTokens = int.MaxValue }) with { Models = [new ModelSpec("slow", SlowModel(folder))] };
        await using var server = await TestServer.StartAsync(settings);
        var scheduler = server.App.Models.Find("slow")!.Scheduler;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Requires.Chromium, Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 800 } });
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") problems.Add(m.Text); };
        page.PageError += (_, e) => problems.Add(e);
        await page.GotoAsync(server.Address.ToString());

        await Assertions.Expect(page.Locator("#model option")).ToHaveTextAsync("slow");
        await Assertions.Expect(page.Locator("#model-info")).ToContainTextAsync("2 × 384 LSTM");
        await Assertions.Expect(page.Locator("#loss svg .val-dot").First).ToBeVisibleAsync(); // the loss curve from metrics.csv

        await page.FillAsync("#prompt", "the cat");
        await page.FillAsync("#length", "100000000");
        await page.FillAsync("#seed", "7");
        await page.ClickAsync("#generate");
        var text = page.Locator("#output-text");
        await Assertions.Expect(page.Locator("#output-prompt")).ToHaveTextAsync("the cat");
        await page.WaitForFunctionAsync("() => document.getElementById('output-text').textContent.length > 0");
        int early = (await text.TextContentAsync())!.Length;
        await page.WaitForFunctionAsync($"() => document.getElementById('output-text').textContent.length > {early}");
        Assert.True(await page.IsEnabledAsync("#stop"));
        Assert.False(await page.IsEnabledAsync("#generate"));
        Assert.Equal(1, scheduler.Active);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts(), "playground-streaming.png") });

        await page.ClickAsync("#stop");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("Stopped after");
        Assert.True(await page.IsEnabledAsync("#generate"));
        await TestServer.WaitUntilAsync(() => scheduler.Active == 0, "the stopped stream has left the batch");
        int stopped = (await text.TextContentAsync())!.Length;
        await Task.Delay(200, Ct);
        Assert.Equal(stopped, (await text.TextContentAsync())!.Length);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts(), "playground-stopped.png") });

        // Readable on a phone: nothing wider than the screen.
        await page.SetViewportSizeAsync(390, 844);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts(), "playground-phone.png") });
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
