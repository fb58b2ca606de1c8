using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Text.Json.Nodes;
using OpenAI;

namespace CharLstm.Tests.Serve;

/// <summary>
/// OpenAI's official .NET client (the OpenAI package, 2.15.0) against the server, with an API key. That version keeps its
/// legacy completions client internal (LegacyCompletionClient), so these tests send through the public
/// <see cref="OpenAIClient.Pipeline"/>: the client's own transport, authentication, headers and retry policy, and its
/// protocol-level message API, the way OpenAI documents calling an operation the typed surface lacks.
/// </summary>
public sealed class OpenAiClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PipelineMessage Completion(OpenAIClient client, Uri endpoint, string json, bool buffer)
    {
        var message = client.Pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(endpoint, "/v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Headers.Set("Accept", buffer ? "application/json" : "text/event-stream");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(json));
        message.BufferResponse = buffer;
        return message;
    }

    private static OpenAIClient Client(TestServer server, string key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.Address, "/v1") });

    [Fact]
    public async Task The_official_client_gets_plain_and_streamed_completions()
    {
        var settings = TestServer.Settings() with { ApiKey = "sk-test" };
        await using var server = await TestServer.StartAsync(settings);
        var client = Client(server, "sk-test");
        const string Request = """{"model":"tiny","prompt":"the cat","max_tokens":25,"seed":9,"temperature":0.7}""";

        using var plain = Completion(client, server.Address, Request, buffer: true);
        await client.Pipeline.SendAsync(plain);
        Assert.Equal(200, plain.Response!.Status);
        var body = JsonNode.Parse(plain.Response.Content.ToString())!;
        string text = (string)body["choices"]![0]!["text"]!;
        Assert.Equal(25, text.Length);

        using var streamed = Completion(client, server.Address, Request[..^1] + ""","stream":true}""", buffer: false);
        await client.Pipeline.SendAsync(streamed);
        Assert.Equal(200, streamed.Response!.Status);
        var pieces = new List<string>();
        bool done = false;
        await foreach (var item in SseParser.Create(streamed.Response.ContentStream!).EnumerateAsync(Ct))
        {
            if (item.Data == "[DONE]") { done = true; break; }
            pieces.Add((string)JsonNode.Parse(item.Data)!["choices"]![0]!["text"]!);
        }
        Assert.True(done);
        Assert.Equal(text, string.Concat(pieces));
    }

    [Fact]
    public async Task The_official_client_is_refused_without_the_right_key()
    {
        var settings = TestServer.Settings() with { ApiKey = "sk-test" };
        await using var server = await TestServer.StartAsync(settings);
        var client = Client(server, "sk-wrong");
        using var message = Completion(client, server.Address, """{"prompt":"the"}""", buffer: true);
        await client.Pipeline.SendAsync(message);
        Assert.Equal(401, message.Response!.Status);
    }
}
