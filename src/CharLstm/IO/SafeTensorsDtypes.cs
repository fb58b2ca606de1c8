namespace CharLstm.IO;

/// <summary>The dtype names the safetensors format defines.</summary>
internal static class SafeTensorsDtypes
{
    public static readonly string[] Names =
        ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2"];

    public static bool IsKnown(string dtype) => Array.IndexOf(Names, dtype) >= 0;
}
