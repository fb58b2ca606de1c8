namespace CharLstm.Interop;

/// <summary>Which graph <see cref="OnnxExport"/> writes; both take and give the same names, types and state shapes.</summary>
public enum OnnxGraph
{
    /// <summary>
    /// A whole sequence: <c>ids</c> [T, B] (int64), <c>h0</c> and <c>c0</c> [L, B, H] → <c>logits</c> [T, B, V],
    /// <c>hN</c> and <c>cN</c> [L, B, H], with T and B dynamic. Scores a text or reads a prompt in one call.
    /// </summary>
    Sequence,

    /// <summary>
    /// One character per stream: the sequence graph with T fixed at 1 (<c>ids</c> [1, B], <c>logits</c> [1, B, V]),
    /// what a generation loop calls once per character, feeding <c>hN</c> and <c>cN</c> back as the next
    /// <c>h0</c> and <c>c0</c>.
    /// </summary>
    Step,
}
