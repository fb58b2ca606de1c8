using System.Text;
using System.Text.Json.Nodes;
using CharLstm.Cli.Commands.Serve;

namespace CharLstm.Tests.Serve;

/// <summary>
/// What the server does under load and when things end early: the 429 past slots + queue, a client that goes away,
/// the per-request time limit, and a shutdown with streams in flight.
/// </summary>
public sealed class ServerBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Long enough that no stream ends on its own during a test: only cancellation ends it.
    private const int Endless = int.MaxValue;
    private static readonly string EndlessStream = $$"""{"prompt":"the","max_tokens":{{Endless}},"stream":true}""";

    private static async Task<(HttpResponseMessage Response, StreamReader Reader)> OpenStreamAsync(TestServer server, CancellationToken ct,
        bool firstEvent = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(EndlessStream, Encoding.UTF8, "application/json"),
        };
        var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(200, (int)response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        if (!firstEvent) return (response, reader);
        var first = await TestServer.ReadEventsAsync(reader, ct, max: 1);
        Assert.Single(first);
        return (response, reader);
    }

    [Fact]
    public async Task A_client_that_goes_away_takes_its_stream_out_of_the_batch()
    {
        await using var server = await TestServer.StartAsync(new ServerLimits { MaxTokens = Endless });
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (response, reader) = await OpenStreamAsync(server, gone.Token);
        Assert.Equal(1, server.Tiny.Scheduler.Active);
        gone.Cancel();
        response.Dispose();
        reader.Dispose();
        await TestServer.WaitUntilAsync(() => server.Tiny.Scheduler.Active == 0, "the stream has left the batch", seconds: 5);
        string metrics = await server.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("""charlstm_active_streams{model="tiny"} 0""", metrics, StringComparison.Ordinal);
        // The stream was cut, not run to its end.
        await TestServer.WaitUntilAsync(() => GeneratedCharacters(server) > 0, "the run is counted");
        Assert.InRange(GeneratedCharacters(server), 1, Endless - 1);
    }

    private static double GeneratedCharacters(TestServer server)
    {
        string metrics = server.Http.GetStringAsync("/metrics", Ct).GetAwaiter().GetResult();
        const string Counter = "charlstm_generated_characters_total{model=\"tiny\"}";
        string line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(Counter, StringComparison.Ordinal)) ?? "x 0";
        return double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Past_the_slots_and_queue_a_request_gets_429_with_Retry_After()
    {
        await using var server = await TestServer.StartAsync(new ServerLimits { MaxTokens = Endless, MaxStreams = 1, MaxQueued = 1 });
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var (first, firstReader) = await OpenStreamAsync(server, hold.Token);
        var (second, secondReader) = await OpenStreamAsync(server, hold.Token, firstEvent: false); // queued: headers only
        Assert.Equal(1, server.Tiny.Scheduler.Queued);
        using var refused = await server.PostAsync("""{"prompt":"the","max_tokens":5}""", Ct);
        Assert.Equal(429, (int)refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal("rate_limit_error", (string)error["type"]!);
        // n is admitted whole or not at all.
        hold.Cancel();
        foreach (var d in new IDisposable[] { first, firstReader, second, secondReader }) d.Dispose();
        await TestServer.WaitUntilAsync(() => server.Tiny.Scheduler.Active + server.Tiny.Scheduler.Queued == 0, "the streams have left");
        var (status, _) = await server.CompleteAsync("""{"prompt":"the","max_tokens":5,"n":2}""");
        Assert.Equal(200, status);
        var (tooMany, _) = await server.CompleteAsync("""{"prompt":"the","max_tokens":5,"n":3}""");
        Assert.Equal(429, tooMany);
    }

    [Fact]
    public async Task The_time_limit_ends_a_request_with_finish_reason_length()
    {
        await using var server = await TestServer.StartAsync(new ServerLimits { MaxTokens = Endless, TimeLimit = TimeSpan.FromMilliseconds(300) });
        var started = DateTime.UtcNow;
        var (status, body) = await server.CompleteAsync($$"""{"prompt":"the","max_tokens":{{Endless}}}""");
        Assert.Equal(200, status);
        Assert.Equal("length", (string)body["choices"]![0]!["finish_reason"]!);
        Assert.InRange(((string)body["choices"]![0]!["text"]!).Length, 1, Endless - 1);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Shutdown_ends_streams_in_flight_with_a_last_event_and_done()
    {
        var server = await TestServer.StartAsync(new ServerLimits { MaxTokens = Endless });
        await using (server)
        {
            var (response, reader) = await OpenStreamAsync(server, Ct);
            using (response)
            using (reader)
            {
                var stopping = server.App.Web.StopAsync(Ct);
                var rest = await TestServer.ReadEventsAsync(reader, Ct);
                await stopping;
                Assert.Equal("[DONE]", rest[^1]);
                var last = JsonNode.Parse(rest[^2])!;
                Assert.Contains("shutting down", (string)last["error"]!["message"]!, StringComparison.Ordinal);
                Assert.Equal(0, server.Tiny.Scheduler.Active);
            }
        }
    }
}
