using System.Buffers;
using System.Text.Json;
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

    /// <summary>
    /// Writes one streamed event's JSON, a piece of one choice's text or (with a finish reason) its end, straight into
    /// <paramref name="output"/> as UTF-8: the stream makes one per piece per choice, so it builds no object tree and no
    /// intermediate string.
    /// </summary>
    public void WriteChunk(IBufferWriter<byte> output, int index, string text, string? finishReason)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = ServeJson.Options.Encoder });
        writer.WriteStartObject();
        writer.WriteString("id", Id);
        writer.WriteString("object", "text_completion");
        writer.WriteNumber("created", created.ToUnixTimeSeconds());
        writer.WriteString("model", model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteString("text", text);
        writer.WriteNumber("index", index);
        writer.WriteNull("logprobs");
        if (finishReason is null) writer.WriteNull("finish_reason");
        else writer.WriteString("finish_reason", finishReason);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private JsonObject Head() => new() { ["id"] = Id, ["object"] = "text_completion", ["created"] = created.ToUnixTimeSeconds(), ["model"] = model };

    private static JsonObject Choice(int index, string text, string? finishReason) =>
        new() { ["text"] = text, ["index"] = index, ["logprobs"] = null, ["finish_reason"] = finishReason };
}
