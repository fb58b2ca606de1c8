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

/// <summary>The dtype names the safetensors format defines.</summary>
internal static class SafeTensorsDtypes
{
    public static readonly string[] Names =
        ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2"];

    public static bool IsKnown(string dtype) => Array.IndexOf(Names, dtype) >= 0;
}
