using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using CharLstm.Numerics;
using CharLstm.Serving;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// One request's choices generating in the model's shared batch, as pieces of text per choice. Choice i is seeded
/// with Rng.SeedFor(seed, i), as <c>generate --samples</c> seeds its samples, so a seeded request gives the same text
/// alone or among others. Disposing it (the request ended, or its client went away) takes its streams out of the batch.
/// </summary>
internal sealed class CompletionRun : IAsyncDisposable
{
    private readonly ServedModel _model;
    private readonly CompletionRequest _request;
    private readonly CancellationTokenSource _end;
    private readonly CancellationToken _shutdown;
    private readonly Channel<ChoicePiece> _pieces = Channel.CreateUnbounded<ChoicePiece>(new UnboundedChannelOptions { SingleReader = true });
    private readonly long _started;
    private readonly ServerMetrics _metrics;
    private readonly CancellationTokenSource[] _stopped; // per choice: cancelled when it meets a stop sequence
    private Task _drained = Task.CompletedTask;
    private int _generated, _settled;

    private CompletionRun(ServedModel model, CompletionRequest request, TimeSpan limit, ServerMetrics metrics, long started,
        CancellationToken client, CancellationToken shutdown)
    {
        (_model, _request, _shutdown, _metrics, _started) = (model, request, shutdown, metrics, started);
        // One token ends every stream of the request: the client gone, the server stopping, the time limit, or every
        // choice finished. A choice that meets a stop sequence ends its own stream at once with its own token.
        _end = CancellationTokenSource.CreateLinkedTokenSource(client, shutdown);
        _end.CancelAfter(limit);
        _stopped = [.. Enumerable.Range(0, request.Choices).Select(_ => new CancellationTokenSource())];
    }

    /// <summary>The pieces as they are made; complete when every choice has ended.</summary>
    public ChannelReader<ChoicePiece> Pieces => _pieces.Reader;

    /// <summary>Characters drawn so far over all choices (those after a stop sequence's end are not counted).</summary>
    public int Generated => Volatile.Read(ref _generated);

    /// <summary>Starts the choices, or returns null when the model's slots and queue cannot take them all.</summary>
    public static CompletionRun? Start(ServedModel model, int[] prompt, CompletionRequest request, ulong seed, ServerLimits limits, ServerMetrics metrics,
        long started, CancellationToken client, CancellationToken shutdown)
    {
        var run = new CompletionRun(model, request, limits.TimeLimit, metrics, started, client, shutdown);
        var streams = Enumerable.Range(0, request.Choices)
            .Select(i => new StreamRequest(prompt, request.MaxTokens, request.Sampling, Rng.SeedFor(seed, i)) { Cancellation = run._stopped[i].Token })
            .ToArray();
        if (model.Scheduler.TryStart(streams, run._end.Token) is not { } readers)
        {
            run.DisposeTokens();
            return null;
        }
        run._drained = Task.WhenAll(readers.Select((reader, i) => Task.Run(() => run.DrainAsync(i, reader))))
            .ContinueWith(t => run._pieces.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default); // a failed loop reaches the reply
        return run;
    }

    // Turns one stream's ids into text, holding back what could still become a stop sequence. The ids waiting when the
    // drain wakes go out as one piece, so a model that draws faster than the client reads makes fewer, longer events.
    private async Task DrainAsync(int index, ChannelReader<int> reader)
    {
        var stops = new StopSequences(_request.Stops);
        var text = new StringBuilder();
        int drawn = 0;
        // The reader completes when the stream has drawn max_tokens or has left the batch after _end was cancelled.
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out int id))
            {
                if (stops.Stopped) continue; // drawn in the step the stream was leaving: discarded
                drawn++;
                if (Interlocked.Increment(ref _generated) == 1) _metrics.FirstCharacter(_model.Name, Stopwatch.GetElapsedTime(_started));
                text.Append(stops.Push(_model.Text(id)));
                if (stops.Stopped)
                {
                    _stopped[index].Cancel(); // this choice's stream leaves the batch before the next step
                    Settle();
                }
            }
            Send(index, text);
        }
        if (!stops.Stopped)
        {
            text.Append(stops.Flush());
            Send(index, text);
            Settle();
        }
        string finish = stops.Stopped ? "stop" : drawn < _request.MaxTokens && _shutdown.IsCancellationRequested ? ChoicePiece.ShutDown : "length";
        _pieces.Writer.TryWrite(new ChoicePiece(index, "", finish));
    }

    private void Send(int index, StringBuilder text)
    {
        if (text.Length == 0) return;
        _pieces.Writer.TryWrite(new ChoicePiece(index, text.ToString(), null));
        text.Clear();
    }

    private void Settle()
    {
        if (Interlocked.Increment(ref _settled) == _request.Choices) _end.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        await _end.CancelAsync().ConfigureAwait(false);
        await _drained.ConfigureAwait(false);
        _metrics.Generated(_model.Name, Generated);
        DisposeTokens();
    }

    private void DisposeTokens()
    {
        _end.Dispose();
        foreach (var stopped in _stopped) stopped.Dispose();
    }
}
