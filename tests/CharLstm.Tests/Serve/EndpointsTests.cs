using System.Text.Json.Nodes;

namespace CharLstm.Tests.Serve;

/// <summary>GET /v1/models, a model's loss curve, /health, /metrics, the playground's files and unknown paths.</summary>
public sealed class EndpointsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Models_lists_each_model_with_its_shape_and_training_summary()
    {
        await using var server = await TestServer.StartAsync();
        var body = JsonNode.Parse(await server.Http.GetStringAsync("/v1/models", Ct))!;
        Assert.Equal("list", (string)body["object"]!);
        var models = body["data"]!.AsArray();
        Assert.Equal(["tiny", "lone"], models.Select(m => (string)m!["id"]!));
        var tiny = models[0]!;
        Assert.Equal("model", (string)tiny["object"]!);
        Assert.Equal(server.Tiny.Language.Vocabulary.Size, (int)tiny["vocabulary_size"]!);
        Assert.Equal(1, (int)tiny["layers"]!);
        Assert.Equal(16, (int)tiny["hidden_size"]!);
        Assert.Equal(4, (long)tiny["training"]!["steps"]!);
        Assert.Equal("corpus.txt", (string)tiny["training"]!["corpus"]!);
        Assert.True((bool)tiny["has_metrics"]!);
        Assert.False((bool)models[1]!["has_metrics"]!);
        var one = JsonNode.Parse(await server.Http.GetStringAsync("/v1/models/lone", Ct))!;
        Assert.Equal("lone", (string)one["id"]!);
    }

    [Fact]
    public async Task A_models_loss_curve_comes_from_its_run_folders_metrics_and_404s_without_one()
    {
        await using var server = await TestServer.StartAsync();
        var curve = JsonNode.Parse(await server.Http.GetStringAsync("/v1/models/tiny/metrics", Ct))!;
        var points = curve["points"]!.AsArray();
        Assert.NotEmpty(points);
        Assert.Equal(4, (double)points[^1]!["step"]!);
        Assert.Contains(points, p => p!["val_loss"] is not null);
        Assert.Contains(points, p => p!["train_loss"] is not null);
        using var lone = await server.Http.GetAsync("/v1/models/lone/metrics", Ct);
        Assert.Equal(404, (int)lone.StatusCode);
        using var missing = await server.Http.GetAsync("/v1/models/nope/metrics", Ct);
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task An_unknown_model_is_a_404_naming_the_field()
    {
        await using var server = await TestServer.StartAsync();
        var (status, body) = await server.CompleteAsync("""{"model":"gpt-5","prompt":"the"}""");
        Assert.Equal(404, status);
        Assert.Equal("model", (string)body["error"]!["param"]!);
        Assert.Contains("gpt-5", (string)body["error"]!["message"]!, StringComparison.Ordinal);
        using var models = await server.Http.GetAsync("/v1/models/gpt-5", Ct);
        Assert.Equal(404, (int)models.StatusCode);
    }

    [Fact]
    public async Task Health_is_503_while_the_models_load_then_200()
    {
        await using var server = await TestServer.StartAsync(load: false);
        using (var loading = await server.Http.GetAsync("/health", Ct))
        {
            Assert.Equal(503, (int)loading.StatusCode);
            Assert.Contains("loading", await loading.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        var (status, _) = await server.CompleteAsync("""{"prompt":"the"}""");
        Assert.Equal(503, status);
        server.App.LoadModels();
        using var ready = await server.Http.GetAsync("/health", Ct);
        Assert.Equal(200, (int)ready.StatusCode);
        Assert.Contains("ok", await ready.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_count_requests_by_status_characters_first_character_time_and_streams()
    {
        await using var server = await TestServer.StartAsync();
        await server.CompleteAsync("""{"prompt":"the","max_tokens":12}""");
        await server.CompleteAsync("""{"prompt":"the","max_tokens":0}""");
        string metrics = await server.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("""charlstm_http_requests_total{path="/v1/completions",status="200"} 1""", metrics, StringComparison.Ordinal);
        Assert.Contains("""charlstm_http_requests_total{path="/v1/completions",status="400"} 1""", metrics, StringComparison.Ordinal);
        Assert.Contains("""charlstm_generated_characters_total{model="tiny"} 12""", metrics, StringComparison.Ordinal);
        Assert.Contains("""charlstm_time_to_first_character_seconds_count{model="tiny"} 1""", metrics, StringComparison.Ordinal);
        Assert.Contains("""charlstm_queued_streams{model="tiny"} 0""", metrics, StringComparison.Ordinal);
        Assert.Contains("""charlstm_active_streams{model="tiny"} 0""", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_playground_is_served_from_the_assembly_with_a_same_origin_policy()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/playground.css", "text/css"), ("/playground.js", "text/javascript") })
        {
            using var response = await server.Http.GetAsync(path, Ct);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.NotEmpty(await response.Content.ReadAsStringAsync(Ct));
            Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
        using var unknown = await server.Http.GetAsync("/admin", Ct);
        Assert.Equal(404, (int)unknown.StatusCode);
        Assert.Contains("\"error\"", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
