using System.Text.Json.Nodes;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>The completions reply and its streamed chunks, in OpenAI's shape (object "text_completion").</summary>
internal sealed class CompletionJson(string model, DateTimeOffset created)
{
    public string Id { get; } = "cmpl-" + Guid.NewGuid().ToString("N");

    /// <summary>The whole reply: every choice's text and why it ended, and the usage in characters.</summary>
    public JsonObject Reply(IReadOnlyList<(string Text, string FinishReason)> choices, int promptTokens, int completionTokens)
    {
        var list = new JsonArray();
        for (int i = 0; i < choices.Count; i++) list.Add(Choice(i, choices[i].Text, choices[i].FinishReason));
        var reply = Head();
        reply["choices"] = list;
        reply["usage"] = new JsonObject
        {
            ["prompt_tokens"] = promptTokens, ["completion_tokens"] = completionTokens, ["total_tokens"] = promptTokens + completionTokens,
        };
        return reply;
    }

    /// <summary>One streamed event: a piece of one choice's text, or (with a finish reason) its end.</summary>
    public JsonObject Chunk(int index, string text, string? finishReason)
    {
        var chunk = Head();
        chunk["choices"] = new JsonArray(Choice(index, text, finishReason));
        return chunk;
    }

    private JsonObject Head() => new() { ["id"] = Id, ["object"] = "text_completion", ["created"] = created.ToUnixTimeSeconds(), ["model"] = model };

    private static JsonObject Choice(int index, string text, string? finishReason) =>
        new() { ["text"] = text, ["index"] = index, ["logprobs"] = null, ["finish_reason"] = finishReason };
}
