using System.Threading.Channels;
using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Serving;

/// <summary>
/// Continuous batching: many generation streams share one batched step loop. A stream joins the batch at
/// the next step after a slot frees, reads its prompt one character per step beside the others' draws,
/// and leaves as soon as it has drawn its characters or its caller cancels (within one step). Each stream
/// keeps its own state, sampling options and seeded generator, and a stream's logits do not depend on
/// which other streams share the step, so a seeded request gives the same text alone or among others.
/// </summary>
/// <remarks>
/// One loop thread owns the model sessions. The batch runs in the smallest of the sizes 1, 2, 4, … (up to
/// <see cref="MaxStreams"/>) that holds the active streams, so one client pays for one stream, not for the
/// largest batch; when the size changes, the streams' states move to the session of the new size.
/// Admission is all-or-nothing per call (the n choices of one request), bounded by the slots and the queue.
/// </remarks>
public sealed class BatchScheduler : IDisposable
{
    private readonly InferenceModel _model;
    private readonly int _threads;
    private readonly Lock _lock = new();
    private readonly Queue<Stream> _waiting = new();
    private readonly List<Stream> _active = [];               // slot b holds _active[b]
    private readonly Dictionary<int, BatchStep> _steps = [];  // by batch size, made on first use
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _loop;
    private BatchStep? _current;
    private bool _disposed;
    private Exception? _failure;

    /// <summary>A scheduler for <paramref name="model"/> with <paramref name="maxStreams"/> slots and a queue of <paramref name="maxQueued"/>.</summary>
    /// <param name="model">The shared model.</param>
    /// <param name="maxStreams">Streams generated at once, at most.</param>
    /// <param name="maxQueued">Streams admitted and waiting for a slot, at most.</param>
    /// <param name="threads">Compute threads per step (as many as a step of the batch is worth are used); results are the same for any count.</param>
    public BatchScheduler(InferenceModel model, int maxStreams, int maxQueued, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        if (!ComputeThreads.IsValid(threads)) throw new ArgumentOutOfRangeException(nameof(threads), threads, ComputeThreads.RangeMessage("threads", threads));
        _model = model;
        _threads = threads;
        MaxStreams = maxStreams;
        MaxQueued = maxQueued;
        _loop = new Thread(Loop) { IsBackground = true, Name = "charlstm batch" };
        _loop.Start();
    }

    /// <summary>Streams generated at once, at most.</summary>
    public int MaxStreams { get; }

    /// <summary>Streams waiting for a slot, at most.</summary>
    public int MaxQueued { get; }

    /// <summary>Streams now in the shared batch.</summary>
    public int Active { get { lock (_lock) return _active.Count; } }

    /// <summary>Streams admitted and waiting for a slot.</summary>
    public int Queued { get { lock (_lock) return _waiting.Count; } }

    /// <summary>Steps run so far (each advances every active stream by one character).</summary>
    public long Steps => Interlocked.Read(ref _stepCount);

    private long _stepCount;

    /// <summary>Called on the loop thread after each step, before streams leave or join (tests cancel at an exact step).</summary>
    internal Action? AfterStep { get; set; }

    /// <summary>
    /// Admits every request or none. Each reader yields the ids drawn for its stream, <see cref="StreamRequest.MaxTokens"/>
    /// of them, then completes; cancelling <paramref name="cancellationToken"/> makes the streams leave the batch within one
    /// step and their readers complete early.
    /// </summary>
    /// <returns>One reader per request, in order; null when the free slots and the queue cannot take them all.</returns>
    /// <exception cref="ArgumentException">A request's prompt is empty or holds an id outside the vocabulary, or its MaxTokens is negative.</exception>
    /// <exception cref="ObjectDisposedException">The scheduler was disposed.</exception>
    /// <exception cref="InvalidOperationException">The loop failed earlier (the inner exception says why).</exception>
    public IReadOnlyList<ChannelReader<int>>? TryStart(IReadOnlyList<StreamRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        foreach (var r in requests) Check(r);
        var streams = requests.Select(r => new Stream(r) { Wake = Wake }).ToArray();
        // Each stream holds its own registrations, so one that ends first cannot take the call's token from the others.
        // They are made before the loop can see the stream, which may end it at once.
        foreach (var s in streams)
        {
            if (cancellationToken.CanBeCanceled) s.Registrations.Add(cancellationToken.Register(s.Cancel));
            if (s.Request.Cancellation.CanBeCanceled) s.Registrations.Add(s.Request.Cancellation.Register(s.Cancel));
        }

        lock (_lock)
        {
            bool admitted = !_disposed && _failure is null && _active.Count + _waiting.Count + streams.Length <= MaxStreams + MaxQueued;
            if (admitted)
            {
                foreach (var s in streams) _waiting.Enqueue(s);
            }
            else
            {
                foreach (var s in streams) s.End(null);
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_failure is not null) throw new InvalidOperationException("the generation loop failed", _failure);
                return null;
            }
        }


        Wake();
        return [.. streams.Select(s => s.Output.Reader)];
    }

    /// <summary>Ends every stream (their readers complete) and stops the loop thread.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }

        Wake();
        _loop.Join();
        foreach (var step in _steps.Values) step.Dispose();
        _wake.Dispose();
    }

    private void Check(StreamRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Prompt);
        ArgumentNullException.ThrowIfNull(request.Sampling);
        if (request.Prompt.Length == 0) throw new ArgumentException("a prompt needs at least one character", nameof(request));
        ArgumentOutOfRangeException.ThrowIfNegative(request.MaxTokens);
        int v = _model.Config.VocabSize;
        foreach (int id in request.Prompt)
            if ((uint)id >= (uint)v) throw new ArgumentException($"prompt id {id} is outside the vocabulary 0..{v - 1}", nameof(request));
    }

    private void Wake()
    {
        try { _wake.Release(); }
        catch (ObjectDisposedException) { } // a cancellation after Dispose
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                bool idle;
                lock (_lock)
                {
                    if (_disposed) break;
                    Admit();
                    idle = _active.Count == 0;
                }

                if (idle)
                {
                    _wake.Wait();
                    continue;
                }

                Step();
            }
        }
        catch (Exception e)
        {
            lock (_lock) _failure = e;
        }

        lock (_lock)
        {
            foreach (var s in _active) s.End(_failure);
            foreach (var s in _waiting) s.End(_failure);
            _active.Clear();
            _waiting.Clear();
        }
    }

    // Under the lock: drops streams that ended or were cancelled (the last slot's stream moves into the gap),
    // then fills free slots from the queue. Cancelled waiting streams never take a slot.
    private void Admit()
    {
        for (int b = _active.Count - 1; b >= 0; b--)
        {
            var s = _active[b];
            if (!s.Done && !s.Cancelled) continue;
            s.End(null);
            int last = _active.Count - 1;
            if (b != last)
            {
                // A stream that joined at this call has no state yet (it is zeroed before its first step).
                if (!_active[last].Joining) _current?.Move(last, b);
                _active[b] = _active[last];
            }

            _active.RemoveAt(last);
        }

        while (_active.Count < MaxStreams && _waiting.TryDequeue(out var next))
        {
            if (next.Cancelled || next.Request.MaxTokens == 0) { next.End(null); continue; }
            _active.Add(next);
            next.Joining = true;
        }
    }

    private void Step()
    {
        Stream[] streams;
        lock (_lock) streams = [.. _active];
        var step = StepFor(streams.Length);
        for (int b = 0; b < step.Size; b++)
        {
            if (b >= streams.Length) { step.Tokens[b] = 0; step.Draws[b] = false; continue; } // an empty slot: computed, ignored
            var s = streams[b];
            if (s.Joining) { step.Clear(b); s.Joining = false; }
            step.Tokens[b] = s.NextInput;
            step.Draws[b] = s.DrawsAfterStep;
            step.Options[b] = s.Request.Sampling;
            step.Rngs[b] = s.Rng;
        }

        step.Run();
        Interlocked.Increment(ref _stepCount);
        for (int b = 0; b < streams.Length; b++)
        {
            var s = streams[b];
            if (s.Read < s.Request.Prompt.Length) s.Read++;
            if (!step.Draws[b]) continue;
            s.Last = step.Drawn[b];
            s.Drawn++;
            s.Output.Writer.TryWrite(s.Last);
        }

        AfterStep?.Invoke();
    }

    // The session for the smallest batch size that holds `count` streams, with the active streams' states moved into it.
    private BatchStep StepFor(int count)
    {
        int size = 1;
        while (size < count) size *= 2;
        size = Math.Min(size, MaxStreams);
        if (_current is { } current && current.Size == size) return current;
        if (!_steps.TryGetValue(size, out var next))
        {
            next = new BatchStep(_model, size, _threads);
            _steps[size] = next;
        }

        if (_current is not null) next.TakeStates(_current, Math.Min(count, _current.Size));
        _current = next;
        return next;
    }

    /// <summary>One stream's progress through its prompt and its draws.</summary>
    private sealed class Stream(StreamRequest request)
    {
        public StreamRequest Request { get; } = request;
        public Rng Rng { get; } = new(request.Seed);
        public Channel<int> Output { get; } = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        public List<CancellationTokenRegistration> Registrations { get; } = [];
        public Action? Wake { get; init; }
        public volatile bool Cancelled;
        public bool Joining;   // takes a slot at the next step: its state there must be zeroed first
        public int Read;       // prompt characters fed so far
        public int Drawn;      // characters drawn so far
        public int Last;       // the last character drawn, fed at the next step
        public bool Done => Drawn >= Request.MaxTokens;

        /// <summary>The character this stream feeds at the next step.</summary>
        public int NextInput => Read < Request.Prompt.Length ? Request.Prompt[Read] : Last;

        /// <summary>True when the step's logits are this stream's next character's: its whole prompt has been read by then.</summary>
        public bool DrawsAfterStep => Read >= Request.Prompt.Length - 1;

        /// <summary>Marks the stream to leave the batch before the next step, and wakes the loop.</summary>
        public void Cancel()
        {
            Cancelled = true;
            Wake?.Invoke();
        }

        public void End(Exception? failure)
        {
            foreach (var r in Registrations) r.Dispose();
            Output.Writer.TryComplete(failure);
        }
    }
}
