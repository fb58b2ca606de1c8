using System.Text;

namespace CharLstm.IO;

/// <summary>
/// What a file that is not safetensors looks like, from its first bytes: a user who passes a PyTorch
/// checkpoint or a text file as a model learns that, rather than that its "header length" is absurd.
/// </summary>
internal static class FileResemblance
{
    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly byte[] GzipSignature = [0x1F, 0x8B];

    /// <summary>How many leading bytes <see cref="Describe"/> looks at.</summary>
    public const int HeadBytes = 256;

    /// <summary>
    /// What <paramref name="head"/> (a file's first bytes) looks like, with what to do about it; null when it
    /// could be safetensors (its header starts with '{' after the 8-byte length) or looks like nothing known.
    /// </summary>
    public static (string What, string Advice)? Describe(ReadOnlySpan<byte> head)
    {
        const string ModelAdvice = "Pass a model file written by 'charlstm train' (such as runs/NAME/best.safetensors, or the run folder).";
        const string TorchAdvice = "charlstm reads safetensors model files; tools/torch_interop.py documents the tensor names and metadata "
            + "a PyTorch module's weights need. " + ModelAdvice;
        if (head.Length > 8 && head[8] == (byte)'{') return null;
        if (head.StartsWith("PK\x03\x04"u8))
            return ("it is a zip archive, which is what torch.save writes (a PyTorch .pt or .pth file), not a safetensors file", TorchAdvice);
        if (head.Length >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5)
            return ("it is a Python pickle, which is what older torch.save and pickle.dump write, not a safetensors file", TorchAdvice);
        if (head.StartsWith("GGUF"u8)) return ("it is a GGUF file (llama.cpp's format), not a safetensors file", ModelAdvice);
        if (head.StartsWith(Hdf5Signature)) return ("it is an HDF5 file (what Keras's model.save writes as .h5), not a safetensors file", ModelAdvice);
        if (head.StartsWith(GzipSignature)) return ("it is gzip-compressed; decompress it first", ModelAdvice);
        if (LooksLikeText(head))
            return ($"it is text, not a safetensors file (it starts \"{Excerpt(head)}\")",
                "If it is a corpus, train on it with 'charlstm train'. " + ModelAdvice);
        return null;
    }

    // Text: no NUL and no other control bytes than tab, newline and carriage return, and valid UTF-8 (the last
    // character may be cut by the end of the excerpt).
    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
            if (b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r')) return false;
        var status = System.Text.Unicode.Utf8.ToUtf16(head, new char[head.Length], out _, out _, replaceInvalidSequences: false, isFinalBlock: false);
        return status is System.Buffers.OperationStatus.Done or System.Buffers.OperationStatus.NeedMoreData;
    }

    private static string Excerpt(ReadOnlySpan<byte> head)
    {
        string text = Encoding.UTF8.GetString(head);
        text = text.Split('\n')[0].TrimEnd('\r', '\uFFFD');
        return text.Length > 40 ? text[..40] + "…" : text;
    }
}
