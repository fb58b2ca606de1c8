using CharLstm.Data;

namespace CharLstm.Cli.Commands.Common;

/// <summary>Options that decide how text is read, shared by train, generate and eval.</summary>
internal sealed class TextOptions
{
    public Option<InvalidUtf8Mode?> InvalidUtf8 { get; } = new("--invalid-utf8")
    {
        Description = "What to do with bytes that are not valid UTF-8: error (stop, naming the byte offset; the default) or replace (with U+FFFD).",
    };

    public Option<bool> Lowercase { get; } = new("--lowercase") { Description = "Lowercase the text first (as the Keras example does)." };

    public Option<bool> NormalizeNewlines { get; } = new("--normalize-newlines")
    {
        Description = "Turn CRLF and lone CR into LF "
        + "(default: keep line endings as they are)."
    };

    public void AddTo(Command command)
    {
        command.Options.Add(InvalidUtf8);
        command.Options.Add(Lowercase);
        command.Options.Add(NormalizeNewlines);
    }

    public CorpusOptions Read(ParseResult result) => new()
    {
        InvalidUtf8 = result.GetValue(InvalidUtf8) ?? InvalidUtf8Mode.Error,
        Lowercase = result.GetValue(Lowercase),
        NormalizeNewlines = result.GetValue(NormalizeNewlines),
    };

    /// <summary>
    /// The options a model was trained with (<paramref name="basis"/>, kept in its file), with each option
    /// the user typed laid over them: generate and eval read text as the training text was read.
    /// </summary>
    public CorpusOptions ReadOver(ParseResult result, CorpusOptions basis) => new()
    {
        InvalidUtf8 = result.GetValue(InvalidUtf8) ?? basis.InvalidUtf8,
        Lowercase = result.GetValue(Lowercase) || basis.Lowercase,
        NormalizeNewlines = result.GetValue(NormalizeNewlines) || basis.NormalizeNewlines,
    };
}
