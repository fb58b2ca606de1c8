namespace CharLstm.Model;

/// <summary>
/// Work on the streams' logits that an <see cref="InferenceSession"/> shares out between its thread
/// team's members once a step's head is done (generation's sampling: see CharLstm.Sampling's
/// GenerationSession). Members call <see cref="Run"/> at the same time on disjoint stream ranges.
/// </summary>
public interface IStreamWork
{
    /// <summary>
    /// Streams [<paramref name="firstStream"/>, <paramref name="endStream"/>) for team member
    /// <paramref name="member"/> (per-member scratch is safe to index by it); <paramref name="logits"/> is
    /// the whole (B, V) logits of this step.
    /// </summary>
    void Run(int member, int firstStream, int endStream, ReadOnlySpan<float> logits);
}
