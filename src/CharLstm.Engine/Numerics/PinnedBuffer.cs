using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharLstm.Numerics;

/// <summary>
/// A float buffer on the pinned object heap: its address never changes, so the kernels keep a raw
/// pointer to it instead of pinning it for every use.
/// </summary>
internal sealed unsafe class PinnedBuffer
{
    /// <summary>A zeroed buffer of <paramref name="length"/> floats.</summary>
    public PinnedBuffer(long length)
    {
        Array = GC.AllocateArray<float>(checked((int)length), pinned: true);
        Pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));
    }

    /// <summary>The floats.</summary>
    public float[] Array { get; }

    /// <summary>Element 0.</summary>
    public float* Pointer { get; }

    /// <summary>Number of floats.</summary>
    public int Length => Array.Length;

    /// <summary>The floats as a span.</summary>
    public Span<float> Span => Array;
}
