using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Sampling;

/// <summary>One stream of generation: read a prompt, then draw characters one at a time.</summary>
public static class TextGenerator
{
    /// <summary>
    /// Reads <paramref name="prompt"/> (vocabulary ids; at least one) from a zero state, then yields
    /// <paramref name="length"/> ids, each drawn from the logits after the one before. Uses the
    /// threads a step of this model is worth, at most <paramref name="threads"/>
    /// (<see cref="InferenceSession.UsefulThreads"/>); the ids are the same for any count.
    /// </summary>
    public static IEnumerable<int> Generate(InferenceModel model, IReadOnlyList<int> prompt, int length, SamplingOptions sampling, Rng rng, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(sampling);
        if (prompt.Count == 0) throw new ArgumentException("the prompt needs at least one character", nameof(prompt));
        if (length < 0) throw new ArgumentException($"length must be 0 or more, got {length}.");
        if (!ComputeThreads.IsValid(threads)) throw new ArgumentException(ComputeThreads.RangeMessage("threads", threads));
        return Run(model, prompt, length, sampling, rng, threads);
    }

    private static IEnumerable<int> Run(InferenceModel model, IReadOnlyList<int> prompt, int length, SamplingOptions sampling, Rng rng, int threads)
    {
        using var session = new InferenceSession(model, batch: 1, InferenceSession.UsefulThreads(model, 1, threads));
        var sampler = new Sampler(model.Config.VocabSize);
        var token = new int[1];
        // Read the prompt; the logits after its last character predict the first new one.
        foreach (int id in prompt) { token[0] = id; session.Step(token); }
        for (int i = 0; i < length; i++)
        {
            token[0] = sampler.Sample(session.LastLogits, sampling, rng);
            yield return token[0];
            if (i + 1 < length) session.Step(token);
        }
    }
}
