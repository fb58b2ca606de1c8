using CharLstm.Data;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>Turns a request's prompt into vocabulary ids, reading it as the model's training text was read.</summary>
internal static class PromptReader
{
    /// <summary>The prompt's ids (none for an empty prompt), or a 400 naming prompt: too long, or characters the model never saw.</summary>
    public static int[] Read(ServedModel model, string prompt, ServerLimits limits)
    {
        var language = model.Language;
        // Lower-cased and with newlines normalised when the training text was, as generate reads --prompt.
        int[] scalars = TextDecoding.Normalize(TextScalars.FromString(prompt), language.TextOptions);
        if (scalars.Length > limits.MaxPromptCharacters)
            throw ApiException.Field("prompt", $"prompt may have at most {limits.MaxPromptCharacters:N0} characters, got {scalars.Length:N0}.");
        int[] ids = language.Vocabulary.Encode(scalars, UnknownMode.Skip, out int[] unknown);
        if (unknown.Length > 0)
            throw ApiException.Field("prompt", $"prompt has {unknown.Length} character{(unknown.Length == 1 ? "" : "s")} that the model's vocabulary of "
                + $"{language.Vocabulary.Size} characters does not have: {TextScalars.DescribeList(unknown)}. "
                + $"Remove {(unknown.Length == 1 ? "it" : "them")} from the prompt.");
        return ids;
    }
}
