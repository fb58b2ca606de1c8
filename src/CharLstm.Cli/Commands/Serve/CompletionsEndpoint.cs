using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace CharLstm.Cli.Commands.Serve;

/// <summary><c>POST /v1/completions</c>: OpenAI's legacy completions, one token being one character.</summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, ModelRegistry models, ServerMetrics metrics, ServerLimits limits,
        IHostApplicationLifetime lifetime)
    {
        long started = Stopwatch.GetTimestamp();
        var aborted = context.RequestAborted;
        try
        {
            if (!models.Ready) throw new ApiException(StatusCodes.Status503ServiceUnavailable, "the models are still loading; try again when /health says ok.",
                type: "server_error");
            using var body = await RequestBody.ReadJsonAsync(context, limits.MaxBodyBytes).ConfigureAwait(false);
            var request = CompletionRequestReader.Read(body.RootElement, limits);
            var model = models.Find(request.Model) ?? throw new ApiException(StatusCodes.Status404NotFound,
                $"no model named '{request.Model}' is served; GET /v1/models lists the ones that are.", "model");
            int[] prompt = PromptReader.Read(model, request.Prompt, limits);
            int[] fed = prompt.Length == 0 ? [model.Language.StartCharacter] : prompt; // an empty prompt starts after a newline
            ulong seed = request.Seed ?? (ulong)Random.Shared.NextInt64();
            var run = CompletionRun.Start(model, fed, request, seed, limits, metrics, started, aborted, lifetime.ApplicationStopping)
                ?? throw new ApiException(StatusCodes.Status429TooManyRequests,
                    $"the server is busy: all {model.Scheduler.MaxStreams} streams and {model.Scheduler.MaxQueued} queue places of '{model.Name}' "
                    + $"are taken. Retry after {ServerLimits.RetryAfterSeconds} s.", type: "rate_limit_error");
            await using (run.ConfigureAwait(false))
            {
                var json = new CompletionJson(model.Name, DateTimeOffset.UtcNow);
                if (request.Stream) await StreamAsync(context, run, json, aborted).ConfigureAwait(false);
                else await ReplyAsync(context, run, json, request.Choices, prompt.Length).ConfigureAwait(false);
            }
        }
        catch (ApiException e) when (!context.Response.HasStarted) { await ErrorReply.WriteAsync(context, e).ConfigureAwait(false); }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested) { } // the client went away: nobody to answer
    }

    private static async Task ReplyAsync(HttpContext context, CompletionRun run, CompletionJson json, int choices, int promptTokens)
    {
        var texts = Enumerable.Range(0, choices).Select(_ => new StringBuilder()).ToArray();
        var finish = new string[choices];
        await foreach (var piece in run.Pieces.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            texts[piece.Index].Append(piece.Text);
            if (piece.FinishReason is { } reason) finish[piece.Index] = reason;
        }
        if (finish.Contains(ChoicePiece.ShutDown))
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, "the server is shutting down; send the request again when it is back.",
                type: "server_error");
        var reply = json.Reply([.. texts.Select((t, i) => (t.ToString(), finish[i]))], promptTokens, run.Generated);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(reply.ToJsonString(ServeJson.Options), context.RequestAborted).ConfigureAwait(false);
    }

    // One event per piece, flushed as soon as no other piece is waiting; errors after the headers go out as an event.
    private static async Task StreamAsync(HttpContext context, CompletionRun run, CompletionJson json, CancellationToken aborted)
    {
        var events = new SseWriter(context.Response);
        await events.StartAsync(aborted).ConfigureAwait(false);
        bool shutDown = false;
        try
        {
            while (await run.Pieces.WaitToReadAsync(aborted).ConfigureAwait(false))
            {
                while (run.Pieces.TryRead(out var piece))
                {
                    if (piece.FinishReason == ChoicePiece.ShutDown) shutDown = true;
                    else events.WriteChunk(json, piece.Index, piece.Text, piece.FinishReason);
                }
                await events.FlushAsync(aborted).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!aborted.IsCancellationRequested)
        {
            // The status line is gone: the client learns of the failure from the stream itself, and no stack trace is sent.
            events.Write(ErrorReply.Body($"generation failed: {e.GetType().Name}.", "server_error", null));
        }
        if (shutDown)
            events.Write(ErrorReply.Body("the server is shutting down; the text so far is all this request gets.", "server_error", null));
        await events.DoneAsync(aborted).ConfigureAwait(false);
    }
}
