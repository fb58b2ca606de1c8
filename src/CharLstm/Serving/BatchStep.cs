using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Sampling;

namespace CharLstm.Serving;

/// <summary>
/// One batch size's session for <see cref="BatchScheduler"/>: a step feeds one character per slot and draws the next
/// character of the slots that ask for one, each with its own options and generator, on the session's threads.
/// </summary>
internal sealed class BatchStep : IDisposable, IStreamWork
{
    private readonly InferenceSession _session;
    private readonly Sampler[] _samplers; // per team member

    public BatchStep(InferenceModel model, int size, int threads)
    {
        _session = new InferenceSession(model, size, InferenceSession.UsefulThreads(model, size, threads));
        _samplers = new Sampler[_session.Threads];
        for (int i = 0; i < _samplers.Length; i++) _samplers[i] = new Sampler(model.Config.VocabSize);
        Size = size;
        Tokens = new int[size];
        Draws = new bool[size];
        Drawn = new int[size];
        Options = new SamplingOptions[size];
        Rngs = new Rng[size];
    }

    /// <summary>Slots (streams the session steps at once).</summary>
    public int Size { get; }

    /// <summary>The character each slot feeds at the next step.</summary>
    public int[] Tokens { get; }

    /// <summary>Whether each slot draws a character after the next step (false while a prompt is being read, and for empty slots).</summary>
    public bool[] Draws { get; }

    /// <summary>The characters drawn by the last step, for the slots that drew.</summary>
    public int[] Drawn { get; }

    /// <summary>Each drawing slot's sampling options.</summary>
    public SamplingOptions[] Options { get; }

    /// <summary>Each drawing slot's generator.</summary>
    public Rng[] Rngs { get; }

    public void Dispose() => _session.Dispose();

    public void Run() => _session.Step(Tokens, this);

    /// <summary>Slot <paramref name="slot"/> back to the zero state, for a stream that joins there.</summary>
    public void Clear(int slot)
    {
        var state = _session.State;
        for (int l = 0; l < state.Layers; l++)
        {
            int at = (l * Size + slot) * state.Hidden;
            Array.Clear(state.H, at, state.Hidden);
            Array.Clear(state.C, at, state.Hidden);
        }
    }

    /// <summary>Moves slot <paramref name="from"/>'s state into slot <paramref name="to"/> (a stream taking a freed slot).</summary>
    public void Move(int from, int to) => Copy(_session.State, from, _session.State, to);

    /// <summary>Takes the states of the first <paramref name="count"/> slots of <paramref name="other"/>, when the batch changes size.</summary>
    public void TakeStates(BatchStep other, int count)
    {
        for (int b = 0; b < count; b++) Copy(other._session.State, b, _session.State, b);
    }

    private static void Copy(LstmState source, int from, LstmState target, int to)
    {
        int h = source.Hidden;
        for (int l = 0; l < source.Layers; l++)
        {
            Array.Copy(source.H, (l * source.Batch + from) * h, target.H, (l * target.Batch + to) * h, h);
            Array.Copy(source.C, (l * source.Batch + from) * h, target.C, (l * target.Batch + to) * h, h);
        }
    }

    void IStreamWork.Run(int member, int firstStream, int endStream, ReadOnlySpan<float> logits)
    {
        int v = logits.Length / Size;
        var sampler = _samplers[member];
        for (int b = firstStream; b < endStream; b++)
            if (Draws[b]) Drawn[b] = sampler.Sample(logits.Slice(b * v, v), Options[b], Rngs[b]);
    }
}
