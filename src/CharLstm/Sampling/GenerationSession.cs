using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Sampling;

/// <summary>
/// Generation of B streams at once: each step feeds one character per stream and draws each
/// stream's next character with that stream's own generator. The draws are shared out between the
/// session's threads after the head, inside the same team run (<see cref="IStreamWork"/>). Each
/// stream depends only on its own logits and generator, so the characters are the same for every
/// thread count, and the same as <see cref="InferenceSession.Step(ReadOnlySpan{int})"/> followed by
/// <see cref="Sampler.Sample"/> stream by stream. Allocates nothing per step; not thread-safe.
/// </summary>
public sealed class GenerationSession : IDisposable, IStreamWork
{
    private readonly Sampler[] _samplers; // per team member: sampling scratch
    private readonly int[] _next;         // (B) characters drawn by the last step
    private SamplingOptions _options = new();
    private Rng[] _rngs = [];

    /// <summary>A session of <paramref name="streams"/> streams from the zero state.</summary>
    /// <param name="model">The shared model.</param>
    /// <param name="streams">Streams generated at once.</param>
    /// <param name="threads">Compute threads (the caller's included). Results are identical for every count.</param>
    public GenerationSession(InferenceModel model, int streams = 1, int threads = 1)
    {
        Inference = new InferenceSession(model, streams, threads);
        _samplers = new Sampler[threads];
        for (int i = 0; i < threads; i++) _samplers[i] = new Sampler(model.Config.VocabSize);
        _next = new int[streams];
    }

    /// <summary>The underlying session: its state, logits and thread team.</summary>
    public InferenceSession Inference { get; }

    /// <summary>Streams in this session.</summary>
    public int Streams => Inference.Batch;

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => Inference.Dispose();

    /// <summary>
    /// Feeds <paramref name="tokens"/> (one per stream) and draws each stream's next character from
    /// <paramref name="rngs"/>[b]. Returns the drawn characters (the session's buffer, valid until the
    /// next call); <see cref="InferenceSession.LastLogits"/> holds the logits they were drawn from.
    /// </summary>
    public ReadOnlySpan<int> StepAndSample(ReadOnlySpan<int> tokens, SamplingOptions options, Rng[] rngs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rngs);
        if (rngs.Length != Streams) throw new ArgumentException($"expected {Streams} generators, one per stream", nameof(rngs));
        _options = options;
        _rngs = rngs;
        Inference.Step(tokens, this);
        return _next;
    }

    /// <summary>Draws for streams [<paramref name="firstStream"/>, <paramref name="endStream"/>) on team member <paramref name="member"/>.</summary>
    void IStreamWork.Run(int member, int firstStream, int endStream, ReadOnlySpan<float> logits)
    {
        int v = logits.Length / Streams;
        var sampler = _samplers[member];
        for (int b = firstStream; b < endStream; b++) _next[b] = sampler.Sample(logits.Slice(b * v, v), _options, _rngs[b]);
    }
}
