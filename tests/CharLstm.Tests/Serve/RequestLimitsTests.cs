using System.Text;
using CharLstm.Cli.Commands.Serve;

namespace CharLstm.Tests.Serve;

/// <summary>
/// Every field of a completions request range-checked on both sides, each refusal a 400 naming the field, and the
/// limits on the body itself. The limits here are small so each is reached: max_tokens 100, prompt 50, n 3, 2 stops of 4.
/// </summary>
public sealed class RequestLimitsTests : IAsyncLifetime
{
    private static readonly ServerLimits Limits = new()
    {
        MaxTokens = 100, MaxPromptCharacters = 50, MaxChoices = 3, MaxStops = 2, MaxStopLength = 4, MaxBodyBytes = 4096,
    };

    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(Limits);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string> BadFields => new()
    {
        { "max_tokens", "-1" }, { "max_tokens", "0" }, { "max_tokens", "101" }, { "max_tokens", "1.5" }, { "max_tokens", "\"NaN\"" },
        { "max_tokens", "1e400" }, { "max_tokens", "true" },
        { "temperature", "-0.1" }, { "temperature", "2.5" }, { "temperature", "\"NaN\"" }, { "temperature", "[]" },
        { "top_p", "-1" }, { "top_p", "0" }, { "top_p", "1.01" }, { "top_p", "\"0.5\"" },
        { "top_k", "-1" }, { "top_k", "1048577" }, { "top_k", "2.5" }, { "top_k", "\"NaN\"" },
        { "seed", "-1" }, { "seed", "1.5" }, { "seed", "18446744073709551616" }, { "seed", "\"7\"" },
        { "n", "-1" }, { "n", "0" }, { "n", "4" }, { "n", "\"NaN\"" },
        { "stop", "[\"a\",\"b\",\"c\"]" }, { "stop", "\"toolong\"" }, { "stop", "\"\"" }, { "stop", "[1]" }, { "stop", "7" },
        { "prompt", "[\"a\",\"b\"]" }, { "prompt", "[]" }, { "prompt", "[1,2]" }, { "prompt", "7" },
        { "prompt", "\"" + new string('a', 51) + "\"" }, { "prompt", "\"the \\ud800\"" }, { "stop", "\"\\udc00\"" },
        { "model", "7" }, { "stream", "\"yes\"" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task A_field_out_of_range_is_a_400_naming_it(string field, string value)
    {
        using var response = await _server.PostAsync($$"""{"prompt":"the","{{field}}":{{value}}}""", TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(400 == (int)response.StatusCode, text);
        var error = System.Text.Json.Nodes.JsonNode.Parse(text)!["error"]!;
        Assert.Equal("invalid_request_error", (string)error["type"]!);
        Assert.Equal(field, (string)error["param"]!);
        Assert.Contains(field, (string)error["message"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // no stack trace
    }

    [Theory]
    [InlineData("""{"prompt":"the","max_tokens":100,"n":3,"top_k":0,"top_p":1,"temperature":0,"seed":0,"stop":["ab","abcd"]}""")]
    [InlineData("""{"prompt":"the","max_tokens":1,"temperature":2,"top_p":0.001,"seed":18446744073709551615,"stop":null,"n":null}""")]
    [InlineData("""{"prompt":["the"],"echo":false,"logprobs":null,"user":"x","suffix":"y","best_of":1}""")]
    public async Task Values_at_the_edges_and_unknown_fields_are_accepted(string body)
    {
        var (status, reply) = await _server.CompleteAsync(body);
        Assert.True(status == 200, reply.ToJsonString());
    }

    [Theory]
    [InlineData("{\"prompt\":")]
    [InlineData("{\"prompt\":\"the\",}")]
    [InlineData("{\"temperature\":NaN}")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task A_body_that_is_not_a_JSON_object_is_a_400(string body)
    {
        var (status, reply) = await _server.CompleteAsync(body);
        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", (string)reply["error"]!["type"]!);
    }

    [Fact]
    public async Task A_body_over_the_size_cap_is_a_413_whether_or_not_its_length_is_declared()
    {
        string big = $$"""{"prompt":"the","pad":"{{new string('x', 5000)}}"}""";
        foreach (bool chunked in new[] { false, true })
        {
            // Chunked: no Content-Length, so the cap is found while reading. Both ask 100-continue first (as curl does for a
            // large body), so the client hears the 413 before it sends the body, and no send races the refusal.
            HttpContent content = chunked ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) : new StringContent(big, Encoding.UTF8);
            content.Headers.ContentType = new("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = content };
            request.Headers.TransferEncodingChunked = chunked;
            request.Headers.ExpectContinue = true;
            using var response = await _server.Http.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(413, (int)response.StatusCode);
            string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains("4,096", text, StringComparison.Ordinal);
        }
    }
}
