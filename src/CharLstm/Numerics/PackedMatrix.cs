using System.Runtime.CompilerServices;

// Job structs for the thread team live on the caller's stack and are passed by pointer; some hold
// object references, which is safe here: the caller's frame keeps them alive and the caller waits
// until every member is done.
#pragma warning disable CS8500

namespace CharLstm.Numerics;

/// <summary>
/// The right-hand operand B (K, N) of a matrix multiply, packed for the micro-kernel: columns in
/// panels of <see cref="Width"/>, each panel stored k-major (row p of panel q holds B[p, 16q..16q+15],
/// zero past N), 64-byte aligned. The kernel then streams one contiguous panel per 16 output columns.
/// Weights are packed once per pass (or once per model for generation); activations per product.
/// </summary>
internal sealed unsafe class PackedMatrix
{
    /// <summary>Columns per panel: one Vector512 of floats, or two Vector256.</summary>
    public const int Width = 16;

    private float[] _storage = [];
    private float* _data;

    /// <summary>An empty matrix; packing grows it as needed.</summary>
    public PackedMatrix() { }

    /// <summary>Rows (the multiply's inner dimension).</summary>
    public int K { get; private set; }
    /// <summary>Columns (before padding to whole panels).</summary>
    public int N { get; private set; }
    /// <summary>Panels: ⌈N / 16⌉.</summary>
    public int Panels => (N + Width - 1) / Width;
    /// <summary>Floats held (for memory reports).</summary>
    public long Capacity => _storage.Length;

    /// <summary>First element of panel <paramref name="panel"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Panel(int panel) => _data + (long)panel * K * Width;

    /// <summary>Sets the shape and makes room for it (contents undefined until packed).</summary>
    public void Reshape(int k, int n)
    {
        long needed = (long)k * ((n + Width - 1) / Width) * Width;
        if (needed + 16 > _storage.Length)
        {
            // Pinned (never moves), with room to start on a 64-byte boundary.
            _storage = GC.AllocateUninitializedArray<float>(checked((int)needed + 16), pinned: true);
            float* raw = (float*)Unsafe.AsPointer(ref _storage[0]);
            _data = (float*)(((nint)raw + 63) & ~(nint)63);
        }
        K = k; N = n;
    }

    /// <summary>Packs B (K, N), row-major with row stride <paramref name="ldb"/>.</summary>
    public void Pack(ThreadTeam team, float* b, int ldb, int k, int n)
    {
        Reshape(k, n);
        var job = new PackJob { Target = this, Source = b, Stride = ldb, Transposed = false };
        team.Run(&PackPanels, &job);
    }

    /// <summary>
    /// Packs B = [B1 | B2] (K, N1 + N2) from two row-major matrices side by side, B1 (K, N1) with row
    /// stride <paramref name="ldb1"/> and B2 (K, N2) with row stride <paramref name="ldb2"/>, so one
    /// product can multiply by both. <paramref name="n1"/> must be a multiple of <see cref="Width"/>:
    /// every panel then comes from one of the two.
    /// </summary>
    public void PackSideBySide(ThreadTeam team, float* b1, int ldb1, int n1, float* b2, int ldb2, int n2, int k)
    {
        if (n1 <= 0 || n1 % Width != 0) throw new ArgumentOutOfRangeException(nameof(n1), n1, $"the first block's width must be a positive multiple of {Width}");
        if (n2 <= 0) throw new ArgumentOutOfRangeException(nameof(n2), n2, "the second block must have columns");
        Reshape(k, n1 + n2);
        var job = new PackJob { Target = this, Source = b1, Stride = ldb1, Source2 = b2, Stride2 = ldb2, Split = n1, Transposed = false };
        team.Run(&PackPanels, &job);
    }

    /// <summary>
    /// Packs B = Wᵀ from W (N, K) row-major with row stride <paramref name="ldw"/>: the layout of
    /// PyTorch's weights, so no transpose is ever materialised.
    /// </summary>
    public void PackTransposed(ThreadTeam team, float* w, int ldw, int k, int n)
    {
        Reshape(k, n);
        var job = new PackJob { Target = this, Source = w, Stride = ldw, Transposed = true };
        team.Run(&PackPanels, &job);
    }

    /// <summary>Where packed column <paramref name="column"/> starts: its element p is at <c>[p · 16]</c>.</summary>
    public float* Column(int column) => Panel(column / Width) + column % Width;

    /// <summary>B[p, j] for tests.</summary>
    public float this[int p, int j] => Panel(j / Width)[(long)p * Width + j % Width];

    private struct PackJob
    {
        public PackedMatrix Target;
        public float* Source;
        public int Stride;
        public float* Source2;   // columns from Split on come from here (row stride Stride2), when set
        public int Stride2, Split;
        public bool Transposed;
    }

    private static void PackPanels(void* state, int member, int members)
    {
        ref var job = ref Unsafe.AsRef<PackJob>(state);
        var t = job.Target;
        int k = t.K, n = t.N;
        var (first, last) = ThreadTeam.Range(t.Panels, members, member);
        for (int q = first; q < last; q++)
        {
            float* dst = t.Panel(q);
            int j0 = q * Width, cols = Math.Min(Width, n - j0);
            float* source = job.Source;
            int stride = job.Stride, c0 = j0;
            if (job.Source2 != null && j0 >= job.Split) { source = job.Source2; stride = job.Stride2; c0 = j0 - job.Split; }
            if (job.Transposed)
            {
                for (int jj = 0; jj < Width; jj++)
                {
                    if (jj >= cols) { for (int p = 0; p < k; p++) dst[(long)p * Width + jj] = 0f; continue; }
                    float* src = job.Source + (long)(j0 + jj) * job.Stride;
                    for (int p = 0; p < k; p++) dst[(long)p * Width + jj] = src[p];
                }
            }
            else if (cols == Width)
            {
                for (int p = 0; p < k; p++)
                    Unsafe.CopyBlockUnaligned(dst + (long)p * Width, source + (long)p * stride + c0, Width * sizeof(float));
            }
            else
            {
                for (int p = 0; p < k; p++)
                {
                    float* row = dst + (long)p * Width, src = source + (long)p * stride + c0;
                    for (int jj = 0; jj < Width; jj++) row[jj] = jj < cols ? src[jj] : 0f;
                }
            }
        }
    }
}
