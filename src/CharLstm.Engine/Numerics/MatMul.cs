using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace CharLstm.Numerics;

/// <summary>
/// Dense matrix multiply <c>C[M,N] (+)= A[M,K] · B[K,N]</c>. A is any <see cref="MatrixView"/> (so A or
/// Aᵀ is read in place); B is packed into 16-column panels (<see cref="PackedMatrix"/>), by the caller
/// for weights or here for activations.
/// </summary>
/// <remarks>
/// <para>Every output element is one chain of fused multiply-adds over k in ascending order, started
/// from C when accumulating and from 0 otherwise: <see cref="MultiplyReference"/> is that chain
/// written plainly. The blocked paths keep the chain intact (a k block's partial sum goes through C
/// to the next block unchanged), the Vector512, Vector256, Vector128 and scalar kernels compute the
/// same chain, and a team splits whole output tiles between members. So every path, on any number
/// of threads, gives the same bits as the reference.</para>
/// <para>The parts, one file each: this file (entry points), <c>MatMul.Blocked</c> (the blocked
/// driver and how a block is cut into register tiles), <c>MatMul.Packing</c> (A's micro-panels),
/// <c>MatMul.Kernel512</c>, <c>MatMul.Kernel256</c>, <c>MatMul.Kernel128</c> and
/// <c>MatMul.KernelScalar</c> (the register tiles per SIMD width), <c>MatMul.Vector</c> (a row vector
/// times a packed matrix, for batch-1 generation) and <c>MatMul.Reference</c> (the oracle and the
/// transpose). docs/engine.md explains the blocking and the kernels' shapes.</para>
/// </remarks>
internal static unsafe partial class MatMul
{
    /// <summary>Which micro-kernel runs; tests force each one the machine has. Vector512 computes two
    /// whole panels at once (one or two tiles by 32 columns, a 16-float vector per row and panel), or
    /// two whole tiles of one panel (12×16 or 8×16), and leaves edge tiles to the Vector256 kernel.</summary>
    public enum Level { Scalar, Vector128, Vector256, Vector512 }

    /// <summary>The widest kernel this machine accelerates.</summary>
    public static Level BestLevel =>
        Vector512.IsHardwareAccelerated ? Level.Vector512
        : Vector256.IsHardwareAccelerated ? Level.Vector256
        : Vector128.IsHardwareAccelerated ? Level.Vector128
        : Level.Scalar;

    /// <summary>Rows of the register tile.</summary>
    public const int TileRows = 6;
    /// <summary>Rows of the narrow tile that finishes a block whose rows are not a multiple of 6
    /// (4×16: 8 accumulators, still enough independent chains to keep both FMA pipes busy).</summary>
    public const int NarrowRows = 4;
    /// <summary>Columns of the register tile (one packed panel).</summary>
    public const int TileColumns = PackedMatrix.Width;
    /// <summary>k per block, from the machine's L1d (<see cref="MatMulBlocking.For"/>): a 16-column panel
    /// of it stays in L1 while the row tiles pass.</summary>
    public static readonly int DepthBlock = MatMulBlocking.Machine.Depth;
    /// <summary>Rows of A packed at a time (multiple of 6): 96 × <see cref="DepthBlock"/> floats, kept in L2.</summary>
    public const int RowBlock = 96;
    /// <summary>Columns per block (multiple of 16). Each panel of B is reused from L1 by all the row
    /// tiles of an A block, so B's block can be large; A is repacked once per column block.</summary>
    public static readonly int ColumnBlock = MatMulBlocking.Machine.Columns;

    [ThreadStatic] private static ThreadTeam? t_ownTeam;
    [ThreadStatic] private static PackedMatrix? t_scratch;

    /// <summary>A one-member team private to the calling thread (for callers without a team).</summary>
    public static ThreadTeam CallerTeam => t_ownTeam ??= new ThreadTeam(1);

    /// <summary>
    /// C (+)= A·B on <paramref name="team"/>, B (K, N) row-major in memory. With few rows
    /// (M ≤ <see cref="RowBlock"/>) each B panel is used by one row block only, so it is packed just
    /// before use, a k-block at a time, into the member's scratch (read once, while hot); otherwise B
    /// is packed whole into a thread-local buffer.
    /// </summary>
    public static void Multiply(ThreadTeam team, MatrixView c, MatrixView a, MatrixView b, bool accumulate)
    {
        CheckShapes(c, a, b.Rows, b.Columns);
        if (!b.IsRowMajor) throw new ArgumentException("B must be row-major (column stride 1); pack a transposed B with PackedMatrix.Pack.", nameof(b));
        int m = a.Rows, k = a.Columns, n = b.Columns;
        if (m > RowBlock || m <= 0 || n <= 0 || k <= 0)
        {
            var packed = t_scratch ??= new PackedMatrix();
            packed.Pack(team, b);
            Multiply(team, c, a, packed, accumulate);
            return;
        }
        var job = new Job
        {
            Team = team, C = c.Data, Ldc = c.RowStride, A = a.Data, RowStride = a.RowStride, DepthStride = a.ColumnStride, M = m,
            Accumulate = accumulate, Level = BestLevel, RawB = b.Data, Ldb = b.RowStride, K = k, N = n,
        };
        Run(team, ref job);
    }

    /// <summary>
    /// C (+)= A·B on <paramref name="team"/> with B packed. <paramref name="level"/> forces a
    /// micro-kernel (tests; a level the machine lacks falls back to the widest it has); null takes
    /// the best.
    /// </summary>
    public static void Multiply(ThreadTeam team, MatrixView c, MatrixView a, PackedMatrix b, bool accumulate, Level? level = null)
    {
        CheckShapes(c, a, b.K, b.N);
        MultiplyPacked(team, c, default, a, b, accumulate, level is { } forced ? Supported(forced) : BestLevel);
    }

    /// <summary>
    /// C (+)= A·B where C = [<paramref name="left"/> | <paramref name="right"/>]: C's first
    /// <c>left.Columns</c> columns land in <paramref name="left"/>, the rest in <paramref name="right"/>.
    /// The split must be a multiple of 16 (B is then packed side by side with
    /// <see cref="PackedMatrix.PackSideBySide"/>, every panel from one part). Each element is the same
    /// chain as in a plain product, so the bits are those of two separate products; A is read once.
    /// </summary>
    public static void MultiplySplit(ThreadTeam team, MatrixView left, MatrixView right, MatrixView a, PackedMatrix b, bool accumulate)
    {
        int n = b.N, split = left.Columns;
        if (split % TileColumns != 0 || split <= 0 || split >= n) throw new ArgumentOutOfRangeException(nameof(left), split, $"the "
            + $"split must be a multiple of {TileColumns} inside 1..{n - 1}");
        if (right.Columns != n - split || right.Rows != left.Rows || !right.IsRowMajor)
            throw new ArgumentException($"the right part must be row-major with {left.Rows} rows and {n - split} columns", nameof(right));
        CheckShapes(new MatrixView(left.Data, left.Rows, n, left.RowStride, left.ColumnStride), a, b.K, n);
        MultiplyPacked(team, left, right, a, b, accumulate, BestLevel);
    }

    /// <summary>
    /// One member's columns <c>[j0, j1)</c> (j0 a multiple of 16) of C (+)= A·B, all M rows, using
    /// <paramref name="scratch"/> (<see cref="ThreadTeam.ScratchFloats"/> floats) to pack A.
    /// </summary>
    public static void MultiplyColumns(float* scratch, MatrixView c, MatrixView a, PackedMatrix b, int j0, int j1, bool accumulate)
    {
        Debug.Assert(a.Columns == b.K && c.Rows == a.Rows && c.IsRowMajor && j0 % TileColumns == 0 && j1 <= b.N);
        int m = a.Rows;
        if (m <= 0 || j0 >= j1) return;
        if (b.K <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c.At(i, j0), j1 - j0).Clear();
            return;
        }
        var job = new Job
        {
            C = c.Data, Ldc = c.RowStride, A = a.Data, RowStride = a.RowStride, DepthStride = a.ColumnStride, B = b, K = b.K, N = b.N, M = m,
            Accumulate = accumulate, Level = BestLevel,
        };
        Blocked(ref job, scratch, 0, m, j0, j1);
    }

    // C (m, n) row-major, A (m, k), B (k, n): the shapes a product needs.
    private static void CheckShapes(MatrixView c, MatrixView a, int bRows, int bColumns)
    {
        if (a.Columns != bRows) throw new ArgumentException($"A has {a.Columns} columns but B has {bRows} rows", nameof(a));
        if (c.Rows != a.Rows || c.Columns != bColumns) throw new ArgumentException($"C is {c.Rows}×{c.Columns}, expected {a.Rows}×{bColumns}", nameof(c));
        if (!c.IsRowMajor) throw new ArgumentException("C must be row-major (column stride 1)", nameof(c));
    }

    // Both packed-B entries: C's first `c.Columns` columns in c, the rest (if any) in c2 from its column 0.
    private static void MultiplyPacked(ThreadTeam team, MatrixView c, MatrixView c2, MatrixView a, PackedMatrix b, bool accumulate, Level level)
    {
        int n = b.N, k = b.K, m = a.Rows, split = c2.Data == null ? n : c.Columns;
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++)
                {
                    new Span<float>(c.At(i, 0), split).Clear();
                    if (split < n) new Span<float>(c2.At(i, 0), n - split).Clear();
                }
            return;
        }
        var job = new Job
        {
            Team = team, C = c.Data, Ldc = c.RowStride, C2 = c2.Data, Ldc2 = c2.RowStride, Split = split, A = a.Data, RowStride = a.RowStride,
            DepthStride = a.ColumnStride, B = b, K = k, N = n, M = m, Accumulate = accumulate, Level = level,
        };
        Run(team, ref job);
    }

    private static Level Supported(Level level) => level switch
    {
        Level.Vector512 when Vector512.IsHardwareAccelerated => Level.Vector512,
        Level.Vector512 or Level.Vector256 when Vector256.IsHardwareAccelerated => Level.Vector256,
        Level.Vector512 or Level.Vector256 or Level.Vector128 when Vector128.IsHardwareAccelerated => Level.Vector128,
        _ => Level.Scalar,
    };
}
