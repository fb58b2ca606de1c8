namespace CharLstm.IO;

/// <summary>Builds <see cref="ModelFormatException"/>s with the message shape "source: what is wrong (where). What to do."</summary>
internal static class FormatFailure
{
    /// <summary>The advice for a file whose bytes are wrong, when nothing more specific applies.</summary>
    public const string DamagedAdvice =
        "The file is damaged, truncated, or not a safetensors file; restore it from a backup or save the model again.";

    public static ModelFormatException Create(
        string source, ModelFormatError error, string what, string advice = DamagedAdvice, Exception? inner = null) =>
        new(error, $"{source}: {what}. {advice}", inner);
}
