using System.Net.Http.Headers;

namespace CharLstm.Tests.Serve;

/// <summary>Who may talk to the server: the Host allowlist (DNS rebinding), the optional API key, and CORS off unless configured.</summary>
public sealed class AccessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("evil.example", 403)]
    [InlineData("127.0.0.1.nip.io", 403)]
    [InlineData("localhost", 200)]
    [InlineData("127.0.0.1", 200)]
    [InlineData("[::1]", 200)]
    [InlineData("LOCALHOST:1234", 200)]
    public async Task Only_the_servers_own_names_are_answered(string host, int expected)
    {
        await using var server = await TestServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Host = host;
        using var response = await server.Http.SendAsync(request, Ct);
        Assert.Equal(expected, (int)response.StatusCode);
    }

    [Fact]
    public async Task Allowed_hosts_can_be_added()
    {
        var settings = TestServer.Settings() with { AllowedHosts = ["charlstm.internal"] };
        await using var server = await TestServer.StartAsync(settings);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Host = "charlstm.internal:8080";
        using var response = await server.Http.SendAsync(request, Ct);
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task With_an_API_key_every_request_but_health_and_the_page_needs_it()
    {
        var settings = TestServer.Settings() with { ApiKey = "s3cret" };
        await using var server = await TestServer.StartAsync(settings);
        foreach (string path in new[] { "/v1/models", "/metrics", "/v1/models/tiny/metrics" })
        {
            using var response = await server.Http.GetAsync(path, Ct);
            Assert.Equal(401, (int)response.StatusCode);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        using (var health = await server.Http.GetAsync("/health", Ct)) Assert.Equal(200, (int)health.StatusCode);
        using (var page = await server.Http.GetAsync("/", Ct)) Assert.Equal(200, (int)page.StatusCode);
        var (unauthorised, body) = await server.CompleteAsync("""{"prompt":"the"}""");
        Assert.Equal(401, unauthorised);
        Assert.Equal("authentication_error", (string)body["error"]!["type"]!);

        server.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var (wrong, _) = await server.CompleteAsync("""{"prompt":"the"}""");
        Assert.Equal(401, wrong);
        server.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var (ok, _) = await server.CompleteAsync("""{"prompt":"the"}""");
        Assert.Equal(200, ok);
    }

    [Fact]
    public async Task CORS_is_off_unless_an_origin_is_configured()
    {
        await using (var closed = await TestServer.StartAsync())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            request.Headers.Add("Origin", "https://app.example");
            using var response = await closed.Http.SendAsync(request, Ct);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        var settings = TestServer.Settings() with { CorsOrigins = ["https://app.example"], ApiKey = "k" };
        await using var open = await TestServer.StartAsync(settings);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/completions");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var answer = await open.Http.SendAsync(preflight, Ct);
        Assert.Equal(204, (int)answer.StatusCode);
        Assert.Equal("https://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var other = new HttpRequestMessage(HttpMethod.Get, "/health");
        other.Headers.Add("Origin", "https://evil.example");
        using var refused = await open.Http.SendAsync(other, Ct);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
