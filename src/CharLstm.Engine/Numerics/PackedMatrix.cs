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

    /// <summary>
    /// Packs B (K, N) = <paramref name="b"/>: row-major, or any view such as the transpose of
    /// PyTorch's (out, in) weights (<see cref="MatrixView.Transposed"/>), so no transpose is ever
    /// materialised.
    /// </summary>
    public void Pack(ThreadTeam team, MatrixView b)
    {
        Reshape(b.Rows, b.Columns);
        var job = new PackJob { Target = this, Source = b };
        team.Run(&PackPanels, &job);
    }

    /// <summary>
    /// Packs B = [<paramref name="left"/> | <paramref name="right"/>], two row-major matrices with the
    /// same rows side by side, so one product can multiply by both (see <see cref="MatMul.MultiplySplit"/>).
    /// <paramref name="left"/>'s width must be a multiple of <see cref="Width"/>: every panel then comes
    /// from one of the two.
    /// </summary>
    public void PackSideBySide(ThreadTeam team, MatrixView left, MatrixView right)
    {
        int n1 = left.Columns, n2 = right.Columns;
        if (n1 <= 0 || n1 % Width != 0) throw new ArgumentOutOfRangeException(nameof(left), n1, $"the "
            + $"left block's width must be a positive multiple of {Width}");
        if (n2 <= 0) throw new ArgumentOutOfRangeException(nameof(right), n2, "the right block must have columns");
        if (left.Rows != right.Rows || !left.IsRowMajor || !right.IsRowMajor)
            throw new ArgumentException("both blocks must be row-major with the same rows", nameof(right));
        Reshape(left.Rows, n1 + n2);
        var job = new PackJob { Target = this, Source = left, Second = right, Split = n1 };
        team.Run(&PackPanels, &job);
    }

    /// <summary>Where packed column <paramref name="column"/> starts: its element p is at <c>[p · 16]</c>.</summary>
    public float* Column(int column) => Panel(column / Width) + column % Width;

    /// <summary>B[p, j] for tests.</summary>
    public float this[int p, int j] => Panel(j / Width)[(long)p * Width + j % Width];

    private struct PackJob
    {
        public PackedMatrix Target;
        public MatrixView Source;
        public MatrixView Second;   // columns from Split on come from here, when set
        public int Split;
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
            var source = job.Source;
            int c0 = j0;
            if (job.Second.Data != null && j0 >= job.Split) { source = job.Second; c0 = j0 - job.Split; }
            if (source.IsRowMajor && cols == Width)
            {
                for (int p = 0; p < k; p++)
                    Unsafe.CopyBlockUnaligned(dst + (long)p * Width, source.At(p, c0), Width * sizeof(float));
            }
            else if (source.IsRowMajor)
            {
                for (int p = 0; p < k; p++)
                {
                    float* row = dst + (long)p * Width, src = source.At(p, c0);
                    for (int jj = 0; jj < Width; jj++) row[jj] = jj < cols ? src[jj] : 0f;
                }
            }
            else
            {
                // Column by column: for a transposed row-major matrix each column is contiguous.
                for (int jj = 0; jj < Width; jj++)
                {
                    if (jj >= cols) { for (int p = 0; p < k; p++) dst[(long)p * Width + jj] = 0f; continue; }
                    float* src = source.At(0, c0 + jj);
                    long stride = source.RowStride;
                    for (int p = 0; p < k; p++) dst[(long)p * Width + jj] = src[p * stride];
                }
            }
        }
    }
}
