using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CharLstm.Cli.Commands.Serve;

namespace CharLstm.Tests.Serve;

/// <summary>
/// The server the serve verb runs (the same <see cref="ServeApp"/>), started in-process on a free loopback port with
/// the tiny run as model "tiny" (and "lone", a copy without metrics), and an HttpClient pointed at it.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(ServeApp app)
    {
        App = app;
        Address = new Uri(app.Addresses[0]);
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ServeApp App { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }

    public ServedModel Tiny => App.Models.Find("tiny")!;

    public static ServeSettings Settings(ServerLimits? limits = null) => new(
        [new ModelSpec("tiny", ServedRun.ModelFile), new ModelSpec("lone", ServedRun.LoneModelFile)],
        ["http://127.0.0.1:0"], 1, limits ?? new ServerLimits(), [], [], null);

    public static async Task<TestServer> StartAsync(ServeSettings? settings = null, bool load = true)
    {
        var app = ServeApp.Create(settings ?? Settings());
        await app.StartAsync(TestContext.Current.CancellationToken);
        if (load) app.LoadModels();
        return new TestServer(app);
    }

    public static async Task<TestServer> StartAsync(ServerLimits limits) => await StartAsync(Settings(limits));

    public Task<HttpResponseMessage> PostAsync(string json, CancellationToken ct = default) =>
        Http.PostAsync("/v1/completions", new StringContent(json, Encoding.UTF8, "application/json"), ct);

    /// <summary>Posts a completion and returns the status and the parsed body.</summary>
    public async Task<(int Status, JsonNode Body)> CompleteAsync(string json)
    {
        using var response = await PostAsync(json, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, JsonNode.Parse(text)!);
    }

    /// <summary>A streamed completion read to its end: each event's data, in order ([DONE] included).</summary>
    public async Task<List<string>> StreamAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        return await ReadEventsAsync(reader, TestContext.Current.CancellationToken);
    }

    public static async Task<List<string>> ReadEventsAsync(StreamReader reader, CancellationToken ct, int? max = null)
    {
        var events = new List<string>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
            else Assert.Equal("", line); // an event is one data line and a blank line
            if (events.Count == max) break;
        }
        return events;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public static string Json(object body) => JsonSerializer.Serialize(body);

    public static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
    }
}
