using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace CharLstm.IO;

public static partial class SafeTensors
{
    /// <summary>
    /// Reads and validates a safetensors file of <paramref name="length"/> bytes from <paramref name="source"/>.
    /// Every length and offset in the file is checked against <paramref name="length"/> and
    /// <paramref name="limits"/> before anything is allocated for it.
    /// </summary>
    /// <param name="source">The stream, positioned at the file's first byte. Exactly <paramref name="length"/> bytes are read.</param>
    /// <param name="length">The file's length in bytes. Tensor buffers are sized from it, so for a stream that cannot
    /// seek it must be the true length, not a number taken from an untrusted source.</param>
    /// <param name="limits">Bounds on the header size and tensor count; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The metadata and tensors.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="source"/> cannot be read.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative, or more than a seekable stream holds.</exception>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file of finite F32 tensors, or reading it failed;
    /// <see cref="ModelFormatException.Error"/> says why.</exception>
    public static SafeTensorsFile Read(Stream source, long length, SafeTensorsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!source.CanRead)
        {
            throw new ArgumentException("The stream cannot be read.", nameof(source));
        }

        if (source.CanSeek && length > source.Length - source.Position)
        {
            throw new ArgumentOutOfRangeException(
                nameof(length), length, $"The stream holds only {source.Length - source.Position} bytes after its position.");
        }

        return ReadCore(source, length, limits ?? SafeTensorsLimits.Default, "safetensors stream");
    }

    /// <summary>Reads and validates the safetensors file at <paramref name="path"/>; see <see cref="Read"/>.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="limits">Bounds on the header size and tensor count; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The metadata and tensors.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ModelFormatException">The file cannot be opened or read (<see cref="ModelFormatError.Io"/>), or is not
    /// a valid safetensors file of finite F32 tensors; <see cref="ModelFormatException.Error"/> says why.</exception>
    public static SafeTensorsFile ReadFile(string path, SafeTensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ReadFile(path, $"Model file '{path}'", limits);
    }

    /// <summary>Reads the file at <paramref name="path"/> as <see cref="ReadFile(string, SafeTensorsLimits?)"/> does; messages
    /// name it <paramref name="source"/> (such as "State dict 'state.safetensors'") instead of "Model file '...'".</summary>
    internal static SafeTensorsFile ReadFile(string path, string source, SafeTensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ModelFormatException(
                ModelFormatError.Io,
                $"{source}: cannot be opened ({ErrorText.Reason(e)}). Check the path and that you may read the file.",
                e);
        }

        using (stream)
        {
            RefuseDevice(stream, source);
            return ReadCore(stream, stream.Length, limits ?? SafeTensorsLimits.Default, source);
        }
    }

    /// <summary>
    /// Reads only the <c>__metadata__</c> of the safetensors file at <paramref name="path"/>: the length prefix and the
    /// header are checked as <see cref="ReadFile(string, SafeTensorsLimits?)"/> checks them, the tensor data is neither read nor checked.
    /// </summary>
    /// <exception cref="ModelFormatException">The file cannot be read or its header is malformed.</exception>
    internal static IReadOnlyDictionary<string, string> ReadMetadata(string path, SafeTensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        limits ??= SafeTensorsLimits.Default;
        string source = $"Model file '{path}'";
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
            RefuseDevice(stream, source);
            long length = stream.Length;
            if (length < PrefixSize)
                throw Fail(source, length == 0 ? ModelFormatError.Empty : ModelFormatError.TooShort, $"the file is {Bytes(length)} long");
            Span<byte> prefix = stackalloc byte[PrefixSize];
            ReadExactly(stream, prefix, 0, length, source);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > (ulong)limits.MaxHeaderBytes || (long)headerLength > length - PrefixSize)
                throw BadLength(stream, prefix, headerLength, length, limits, source);
            byte[] header = new byte[(int)headerLength];
            ReadExactly(stream, header, PrefixSize, length, source);
            return HeaderParser.Parse(header, limits, source).Metadata;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ModelFormatError.Io, $"{source}: cannot be read ({e.Message}).", e);
        }
    }

    // A device or special file (/dev/zero, /proc/...) reports 0 bytes and still yields data: not a model file. A file that
    // is really empty reads nothing and goes on to the empty-file message.
    private static void RefuseDevice(FileStream stream, string source)
    {
        if (stream.Length != 0) return;
        bool readsData;
        try
        {
            Span<byte> one = stackalloc byte[1];
            readsData = stream.Read(one) > 0;
        }
        catch (IOException)
        {
            readsData = false;
        }

        if (readsData)
        {
            throw Fail(source, ModelFormatError.NotSafeTensors, "it is a device or special file that reports no length, not a file on disk",
                "Pass a model file written by 'charlstm train'.");
        }
    }

    private static SafeTensorsFile ReadCore(Stream stream, long length, SafeTensorsLimits limits, string source)
    {
        if (length == 0)
        {
            throw Fail(source, ModelFormatError.Empty, "the file is empty (0 bytes)",
                "It was probably created but never written, e.g. by a crash while saving; delete it and use another checkpoint.");
        }

        if (length < PrefixSize)
        {
            throw Fail(source, ModelFormatError.TooShort,
                $"the file is {Bytes(length)} long, shorter than the 8-byte header length that starts every safetensors file");
        }

        Span<byte> prefix = stackalloc byte[PrefixSize];
        ReadExactly(stream, prefix, 0, length, source);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)limits.MaxHeaderBytes || (long)headerLength > length - PrefixSize)
            throw BadLength(stream, prefix, headerLength, length, limits, source);

        long dataLength = length - PrefixSize - (long)headerLength;
        byte[] header = new byte[(int)headerLength];
        ReadExactly(stream, header, PrefixSize, length, source);
        (Dictionary<string, string> metadata, List<HeaderTensor> entries) = HeaderParser.Parse(header, limits, source);
        long dataStart = PrefixSize + (long)headerLength;
        CheckLayout(entries, dataLength, dataStart, source);

        var tensors = new List<TensorEntry>(entries.Count);
        foreach (HeaderTensor entry in entries)
        {
            // Safe to allocate: CheckLayout proved the byte range lies inside the file's length.
            float[] data = new float[entry.Count];
            long position = dataStart + entry.Begin;
            ReadExactly(stream, MemoryMarshal.AsBytes(data.AsSpan()), position, length, source);
            if (!BitConverter.IsLittleEndian)
            {
                Span<int> bits = MemoryMarshal.Cast<float, int>(data.AsSpan());
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }

            int bad = IndexOfNonFinite(data);
            if (bad >= 0)
            {
                throw Fail(source, ModelFormatError.NonFiniteValue,
                    $"tensor '{entry.Name}' element {bad} (index [{string.Join(", ", Unravel(bad, entry.Shape))}], "
                        + $"file byte {position + (long)bad * Float32Size:N0}) is {NonFiniteName(data[bad])}",
                    "The model probably diverged before it was saved; use an earlier checkpoint or retrain with a lower learning rate.");
            }

            tensors.Add(new TensorEntry(entry.Name, entry.Shape, data));
        }

        return new SafeTensorsFile(metadata, tensors, source);
    }

    /// <summary>Checks that the tensors tile the data section exactly: from 0, no gaps, no overlaps, nothing after.</summary>
    private static void CheckLayout(List<HeaderTensor> entries, long dataLength, long dataStart, string source)
    {
        // Sort by range, then header order, so equal empty ranges keep a deterministic order.
        entries.Sort((a, b) =>
            a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin)
            : a.End != b.End ? a.End.CompareTo(b.End)
            : a.HeaderIndex.CompareTo(b.HeaderIndex));

        long cursor = 0;
        string? previous = null;
        foreach (HeaderTensor entry in entries)
        {
            string range = $"data_offsets [{entry.Begin}, {entry.End}]";
            if (entry.End > dataLength)
            {
                throw Fail(source, ModelFormatError.OffsetsPastEnd,
                    $"tensor '{entry.Name}' has {range}, past the end of the data section, which holds {Bytes(dataLength)} (file bytes {dataStart:N0} "
                        + $"to {dataStart + dataLength:N0})");
            }

            if (entry.Begin < cursor)
            {
                throw Fail(source, ModelFormatError.OffsetsOverlap,
                    $"tensor '{entry.Name}' has {range}, which overlaps tensor '{previous}' ending at data offset {cursor}");
            }

            if (entry.Begin > cursor)
            {
                string what = previous is null
                    ? $"the first tensor, '{entry.Name}', has {range}: it must begin at 0, and the {Bytes(entry.Begin)} before it "
                        + $"belong{(entry.Begin == 1 ? "s" : "")} to no tensor"
                    : $"the {Bytes(entry.Begin - cursor)} between tensor '{previous}' (ends at data offset {cursor}) and tensor '{entry.Name}' ({range}) "
                        + $"belong{(entry.Begin - cursor == 1 ? "s" : "")} to no tensor";
                throw Fail(source, ModelFormatError.OffsetsGap, what);
            }

            cursor = entry.End;
            previous = entry.Name;
        }

        if (cursor < dataLength)
        {
            throw Fail(source, ModelFormatError.TrailingBytes,
                $"{Bytes(dataLength - cursor)} follow{(dataLength - cursor == 1 ? "s" : "")} the last tensor's data (from file byte {dataStart + cursor:N0}); "
                    + $"the tensors cover {cursor:N0} of the {dataLength:N0} data bytes");
        }
    }

    // The length prefix cannot be right. Say what the file is instead when its first bytes tell (a PyTorch zip, text, ...);
    // suggest raising the limit only when a JSON header does follow.
    private static ModelFormatException BadLength(Stream stream, ReadOnlySpan<byte> prefix, ulong headerLength, long length,
        SafeTensorsLimits limits, string source)
    {
        var head = new byte[(int)Math.Min(FileResemblance.HeadBytes, length)];
        prefix.CopyTo(head);
        ReadExactly(stream, head.AsSpan(PrefixSize), PrefixSize, length, source);
        if (FileResemblance.Describe(head) is var (what, advice)) return Fail(source, ModelFormatError.NotSafeTensors, what, advice);
        if (headerLength > (ulong)limits.MaxHeaderBytes)
            return Fail(source, ModelFormatError.HeaderTooLarge,
                $"the header length at byte 0 is {headerLength:N0} bytes, more than the limit of {limits.MaxHeaderBytes:N0}"
                    + (headerLength > (ulong)Math.Max(0, length - PrefixSize) ? $" and more than the whole file ({Bytes(length)})" : ""),
                head.Length > PrefixSize && head[PrefixSize] == (byte)'{'
                    ? "If the file is damaged, restore it from a backup; if you trust it, raise SafeTensorsLimits.MaxHeaderBytes."
                    : FormatFailure.DamagedAdvice);
        return Fail(source, ModelFormatError.HeaderPastEnd,
            $"the header length at byte 0 is {Bytes((long)headerLength)}, but only {Bytes(length - PrefixSize)} "
                + $"follow{(length - PrefixSize == 1 ? "s" : "")} it (the file is {Bytes(length)})");
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, long position, long length, string source)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFormatException(
                ModelFormatError.Io,
                $"{source}: the stream ended while reading bytes {position:N0} to {position + buffer.Length:N0}, before the {length:N0} "
                    + $"bytes it was said to hold. "
                + "The file may have been truncated or changed while it was read; try again, or restore it from a backup.",
                e);
        }
        catch (IOException e)
        {
            throw new ModelFormatException(
                ModelFormatError.Io,
                $"{source}: reading bytes {position:N0} to {position + buffer.Length:N0} failed ({e.Message}). Check the disk or network share and try again.",
                e);
        }
    }

    private static long[] Unravel(long flatIndex, int[] shape)
    {
        long[] index = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flatIndex % shape[d];
            flatIndex /= shape[d];
        }

        return index;
    }

    // A count of bytes as a message reads it: "1 byte", "8 bytes".
    private static string Bytes(long count) => $"{count:N0} byte{(count == 1 ? "" : "s")}";

    private static ModelFormatException Fail(string source, ModelFormatError error, string what, string advice = FormatFailure.DamagedAdvice) =>
        FormatFailure.Create(source, error, what, advice);
}
