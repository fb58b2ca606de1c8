using CharLstm.Data;

namespace CharLstm.Cli.Commands.Common;

/// <summary>Options that decide how text files are read, shared by train and eval.</summary>
internal sealed class TextOptions
{
    public Option<InvalidUtf8Mode> InvalidUtf8 { get; } = new("--invalid-utf8")
    {
        Description = "What to do with bytes that are not valid UTF-8: error (stop, naming the byte offset) or replace (with U+FFFD).",
        DefaultValueFactory = _ => InvalidUtf8Mode.Error,
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
        InvalidUtf8 = result.GetValue(InvalidUtf8),
        Lowercase = result.GetValue(Lowercase),
        NormalizeNewlines = result.GetValue(NormalizeNewlines),
    };
}
