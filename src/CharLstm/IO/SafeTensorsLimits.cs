namespace CharLstm.IO;

/// <summary>
/// Bounds the reader enforces before it allocates anything a file asks for, so a hostile or damaged file
/// cannot make it allocate unbounded memory. Tensor data needs no limit of its own: it must fit in the file.
/// </summary>
public sealed record SafeTensorsLimits
{
    /// <summary>The limits used when none are given: a 100,000,000-byte header (the safetensors reference
    /// implementation's limit) and 100,000 tensors.</summary>
    public static SafeTensorsLimits Default { get; } = new();

    /// <summary>The largest JSON header, in bytes, the reader accepts. At most <see cref="Array.MaxLength"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive or exceeds <see cref="Array.MaxLength"/>.</exception>
    public long MaxHeaderBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength);
            field = value;
        }
    } = 100_000_000;

    /// <summary>The most tensors the reader accepts in one file.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxTensorCount
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 100_000;
}
