using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>Server-sent events as OpenAI streams them: <c>data: {json}</c> and a blank line per event, then <c>data: [DONE]</c>.</summary>
internal sealed class SseWriter(HttpResponse response)
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sends the headers: from here on an error can only be told as an event.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // a proxy in front must not hold the events back
        await response.StartAsync(ct).ConfigureAwait(false);
        await FlushAsync(ct).ConfigureAwait(false); // the client sees the 200 at once, even while its streams wait in the queue
    }

    /// <summary>Queues one event; <see cref="FlushAsync"/> sends what is queued.</summary>
    public void Write(JsonNode data)
    {
        response.BodyWriter.Write("data: "u8);
        response.BodyWriter.Write(Encoding.UTF8.GetBytes(data.ToJsonString(ServeJson.Options)));
        response.BodyWriter.Write("\n\n"u8);
    }

    /// <summary>Queues one chunk event of <paramref name="json"/>'s completion, written without an intermediate string.</summary>
    public void WriteChunk(CompletionJson json, int index, string text, string? finishReason)
    {
        response.BodyWriter.Write("data: "u8);
        json.WriteChunk(response.BodyWriter, index, text, finishReason);
        response.BodyWriter.Write("\n\n"u8);
    }

    public async Task FlushAsync(CancellationToken ct) => await response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);

    public async Task DoneAsync(CancellationToken ct)
    {
        response.BodyWriter.Write(Done);
        await FlushAsync(ct).ConfigureAwait(false);
    }
}
