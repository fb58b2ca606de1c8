using System.Text.Json.Nodes;

namespace CharLstm.Tests.Serve;

/// <summary>POST /v1/completions against the real server: OpenAI's reply shape, seeds, choices, stop sequences, streaming.</summary>
public sealed class CompletionsTests
{
    [Fact]
    public async Task A_completion_has_OpenAIs_shape_and_counts_characters_as_tokens()
    {
        await using var server = await TestServer.StartAsync();
        var (status, body) = await server.CompleteAsync(
            """{"model":"tiny","prompt":"the cat","max_tokens":20,"seed":5,"temperature":0.8,"top_k":5,"top_p":0.9}""");
        Assert.Equal(200, status);
        Assert.StartsWith("cmpl-", (string)body["id"]!, StringComparison.Ordinal);
        Assert.Equal("text_completion", (string)body["object"]!);
        Assert.Equal("tiny", (string)body["model"]!);
        Assert.True((long)body["created"]! > 1_700_000_000);
        var choice = body["choices"]![0]!;
        Assert.Equal(0, (int)choice["index"]!);
        Assert.Equal(20, ((string)choice["text"]!).EnumerateRunes().Count());
        Assert.Equal("length", (string)choice["finish_reason"]!);
        Assert.Null(choice["logprobs"]);
        Assert.Equal(7, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(20, (int)body["usage"]!["completion_tokens"]!);
        Assert.Equal(27, (int)body["usage"]!["total_tokens"]!);
    }

    [Fact]
    public async Task A_seed_gives_the_same_text_and_choice_i_is_generate_samples_ith_sample()
    {
        await using var server = await TestServer.StartAsync();
        var (_, one) = await server.CompleteAsync("""{"prompt":"a dog","max_tokens":40,"seed":11}""");
        var (_, again) = await server.CompleteAsync("""{"prompt":["a dog"],"max_tokens":40,"seed":11,"n":3,"unknown_field":{"x":1}}""");
        string first = (string)one["choices"]![0]!["text"]!;
        var choices = again["choices"]!.AsArray().Select(c => (string)c!["text"]!).ToArray();
        Assert.Equal(3, choices.Length);
        Assert.Equal(first, choices[0]);
        Assert.Equal(120, (int)again["usage"]!["completion_tokens"]!);

        // The CLI's generate --samples seeds its samples the same way: the server's choices are its samples.
        using var cli = new CliRunner();
        var result = cli.Run("generate", "-m", ServedRun.Folder, "--prompt", "a dog", "--length", "40", "--seed", "11", "--samples", "3", "--quiet");
        Assert.Equal(0, result.ExitCode);
        var samples = result.Stdout.Split("a dog", StringSplitOptions.RemoveEmptyEntries).Select(s => s[..^1]).ToArray(); // each ends in a newline
        Assert.Equal(choices, samples);
    }

    [Fact]
    public async Task A_seeded_request_gives_the_same_text_alone_or_among_others()
    {
        await using var server = await TestServer.StartAsync();
        static string Body(int seed) => $$"""{"prompt":"she","max_tokens":200,"seed":{{seed}},"temperature":0.9}""";
        var alone = new Dictionary<int, string>();
        for (int seed = 20; seed < 28; seed++) alone[seed] = (string)(await server.CompleteAsync(Body(seed))).Body["choices"]![0]!["text"]!;
        var together = await Task.WhenAll(Enumerable.Range(20, 8).Select(async seed => (seed, (await server.CompleteAsync(Body(seed))).Body)));
        foreach (var (seed, body) in together) Assert.Equal(alone[seed], (string)body["choices"]![0]!["text"]!);
    }

    [Fact]
    public async Task A_stop_sequence_ends_the_text_before_it_with_finish_reason_stop()
    {
        await using var server = await TestServer.StartAsync();
        // Greedy text from this model repeats quickly; find a piece of it and stop there.
        var (_, plain) = await server.CompleteAsync("""{"prompt":"the","max_tokens":60,"temperature":0}""");
        string text = (string)plain["choices"]![0]!["text"]!;
        string stop = text.Substring(10, 2);
        int at = text.IndexOf(stop, StringComparison.Ordinal);
        string request = TestServer.Json(new { prompt = "the", max_tokens = 60, temperature = 0, stop = new[] { "QQ", stop } });
        var (status, stopped) = await server.CompleteAsync(request);
        Assert.Equal(200, status);
        Assert.Equal(text[..at], (string)stopped["choices"]![0]!["text"]!);
        Assert.Equal("stop", (string)stopped["choices"]![0]!["finish_reason"]!);
        await TestServer.WaitUntilAsync(() => server.Tiny.Scheduler.Active == 0, "the stopped stream has left the batch");
    }

    [Fact]
    public async Task A_stream_sends_events_of_pieces_then_done_and_gives_the_plain_text()
    {
        await using var server = await TestServer.StartAsync();
        var (_, plain) = await server.CompleteAsync("""{"prompt":"she","max_tokens":30,"seed":3,"n":2}""");
        var events = await server.StreamAsync("""{"prompt":"she","max_tokens":30,"seed":3,"n":2,"stream":true}""");
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string)c["object"]!));
        Assert.Single(chunks.Select(c => (string)c["id"]!).Distinct());
        for (int i = 0; i < 2; i++)
        {
            var mine = chunks.Select(c => c["choices"]![0]!).Where(c => (int)c["index"]! == i).ToList();
            Assert.Equal((string)plain["choices"]![i]!["text"]!, string.Concat(mine.Select(c => (string)c["text"]!)));
            Assert.Equal("length", (string)mine[^1]["finish_reason"]!);
            Assert.All(mine[..^1], c => Assert.Null(c["finish_reason"]));
        }
    }

    [Fact]
    public async Task Prompt_characters_outside_the_vocabulary_are_listed_in_a_400()
    {
        await using var server = await TestServer.StartAsync();
        var (status, body) = await server.CompleteAsync("""{"prompt":"the cat ✓ Z","max_tokens":5}""");
        Assert.Equal(400, status);
        Assert.Equal("prompt", (string)body["error"]!["param"]!);
        Assert.Equal("invalid_request_error", (string)body["error"]!["type"]!);
        string message = (string)body["error"]!["message"]!;
        Assert.Contains("'✓' (U+2713)", message, StringComparison.Ordinal);
        Assert.Contains("'Z' (U+005A)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_prompt_starts_after_a_newline_and_counts_no_prompt_tokens()
    {
        await using var server = await TestServer.StartAsync();
        var (status, body) = await server.CompleteAsync("""{"max_tokens":5,"seed":1}""");
        Assert.Equal(200, status);
        Assert.Equal(0, (int)body["usage"]!["prompt_tokens"]!);
        Assert.Equal(5, ((string)body["choices"]![0]!["text"]!).Length);
    }
}
