namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// Text one choice made since its last piece; the last piece of a choice has empty text and says why it ended:
/// "stop", "length", or <see cref="ShutDown"/> when the server stopped it.
/// </summary>
internal sealed record ChoicePiece(int Index, string Text, string? FinishReason)
{
    /// <summary>The finish of a choice the server's shutdown cut short; never sent as a finish_reason.</summary>
    public const string ShutDown = "shutdown";
}
