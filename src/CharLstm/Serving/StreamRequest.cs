using CharLstm.Sampling;

namespace CharLstm.Serving;

/// <summary>One generation stream for a <see cref="BatchScheduler"/>: read a prompt, then draw characters.</summary>
/// <param name="Prompt">Vocabulary ids of the prompt, at least one: the stream reads them from a zero state.</param>
/// <param name="MaxTokens">Characters to draw after the prompt (0: none).</param>
/// <param name="Sampling">How this stream draws its characters.</param>
/// <param name="Seed">Seeds this stream's own generator: the same request gives the same characters, alone or among others.</param>
public sealed record StreamRequest(int[] Prompt, int MaxTokens, SamplingOptions Sampling, ulong Seed)
{
    /// <summary>
    /// Ends this stream alone (it leaves the batch before the next step), beside the token given to
    /// <see cref="BatchScheduler.TryStart"/> that ends every stream of the call: one choice of several meeting its stop.
    /// </summary>
    public CancellationToken Cancellation { get; init; }
}
