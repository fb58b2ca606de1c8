using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

// Job structs for the thread team live on the caller's stack and are passed by pointer; some hold
// object references, which is safe here: the caller's frame keeps them alive and the caller waits
// until every member is done.
#pragma warning disable CS8500

namespace CharLstm.Numerics;

/// <summary>
/// Dense matrix multiply <c>C[M,N] (+)= A[M,K] · B[K,N]</c>. A is read through a row stride and a
/// k stride, so A or Aᵀ can be used in place; B is packed into 16-column panels
/// (<see cref="PackedMatrix"/>), by the caller for weights or here for activations.
/// </summary>
/// <remarks>
/// <para>Every output element is one chain of fused multiply-adds over k in ascending order, started
/// from C when accumulating and from 0 otherwise: <c>MultiplyReference</c> is that chain
/// written plainly. The blocked paths keep the chain intact (a k block's partial sum goes through C
/// to the next block unchanged), the Vector256, Vector128 and scalar paths compute the same chain,
/// and a team splits whole output tiles between members. So every path, on any number of threads,
/// gives the same bits as the reference.</para>
/// <para>Blocking (GotoBLAS/BLIS order): column blocks of <see cref="ColumnBlock"/>, k blocks of
/// <see cref="DepthBlock"/>, row blocks of <see cref="RowBlock"/> packed into 6-row micro-panels (a single
/// block of whole tiles, as in the per-step products, is read in place instead);
/// inside, a 6×16 register tile: 12 Vector256 accumulators, 2 loads of B and 6 broadcasts of A per k,
/// and 4×16 tiles for a block's last rows when they are not a multiple of 6 (<see cref="TilePlan"/>).
/// With Vector512, two neighbouring whole panels are computed together, 32 columns as two vectors
/// per row, on two neighbouring tiles of one height (12 or 8 rows: 24 or 16 accumulators, two loads
/// of B and one broadcast per row per k, each broadcast used by two multiply-adds) or on a lone
/// tile; a panel left alone pairs its tiles instead (12×16 or 8×16), and edge tiles keep the
/// Vector256 kernel. One generic Vector512 kernel serves all four shapes.</para>
/// </remarks>
internal static unsafe class MatMul
{
    /// <summary>Which micro-kernel runs; tests force each one the machine has. Vector512 computes two
    /// whole panels at once (one or two tiles by 32 columns, a 16-float vector per row and panel), or
    /// two whole tiles of one panel (12×16 or 8×16), and leaves edge tiles to the Vector256 kernel.</summary>
    public enum Level { Scalar, Vector128, Vector256, Vector512 }

    /// <summary>The widest kernel this machine accelerates.</summary>
    public static Level BestLevel =>
        Vector512.IsHardwareAccelerated ? Level.Vector512 : Vector256.IsHardwareAccelerated ? Level.Vector256 : Vector128.IsHardwareAccelerated ? Level.Vector128 : Level.Scalar;

    /// <summary>Rows of the register tile.</summary>
    public const int TileRows = 6;
    /// <summary>Rows of the narrow tile that finishes a block whose rows are not a multiple of 6
    /// (4×16: 8 accumulators, still enough independent chains to keep both FMA pipes busy).</summary>
    public const int NarrowRows = 4;
    /// <summary>Columns of the register tile (one packed panel).</summary>
    public const int TileColumns = PackedMatrix.Width;
    /// <summary>k per block: a 16-column panel of it (24 KB) stays in L1 while the row tiles pass.</summary>
    public const int DepthBlock = 384;
    /// <summary>Rows of A packed at a time (multiple of 6): 96 × 384 floats = 144 KB, kept in L2.</summary>
    public const int RowBlock = 96;
    /// <summary>Columns per block (multiple of 16). Each 24 KB panel of B is reused from L1 by all the
    /// row tiles of an A block, so B's block can be large; A is repacked once per column block.</summary>
    public const int ColumnBlock = 1024;

    [ThreadStatic] private static ThreadTeam? t_ownTeam;
    [ThreadStatic] private static PackedMatrix? t_scratch;

    /// <summary>A one-member team private to the calling thread (for callers without a team).</summary>
    public static ThreadTeam CallerTeam => t_ownTeam ??= new ThreadTeam(1);

    // ---------------------------------------------------------------------------------------------
    // Reference
    // ---------------------------------------------------------------------------------------------

    /// <summary>The plain triple loop: the oracle every fast path is compared with, bit for bit.</summary>
    public static void MultiplyReference(float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
        => MultiplyReference(c, ldc, a, lda, 1, b, ldb, m, n, k, accumulate);

    /// <summary>The reference with A read as <c>A[i, p] = a[i·rowStride + p·depthStride]</c>.</summary>
    public static void MultiplyReference(float* c, int ldc, float* a, int rowStride, int depthStride, float* b, int ldb, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float* cij = c + (long)i * ldc + j;
                float sum = accumulate ? *cij : 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[(long)i * rowStride + (long)p * depthStride], b[(long)p * ldb + j], sum);
                *cij = sum;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Entry points
    // ---------------------------------------------------------------------------------------------

    /// <summary>C (+)= A·B on the calling thread (B packed into a thread-local scratch).</summary>
    public static void Multiply(float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
        => Multiply(CallerTeam, c, ldc, a, lda, b, ldb, m, n, k, accumulate);

    /// <summary>
    /// C (+)= A·B on <paramref name="team"/>. With few rows (m ≤ <see cref="RowBlock"/>) each B panel
    /// is used by one row block only, so it is packed just before use, a k-block at a time, into the
    /// member's scratch (read once, while hot); otherwise B is packed whole into a thread-local buffer.
    /// </summary>
    public static void Multiply(ThreadTeam team, float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
    {
        if (m > RowBlock || m <= 0 || n <= 0 || k <= 0)
        {
            var packed = t_scratch ??= new PackedMatrix();
            packed.Pack(team, b, ldb, k, n);
            Multiply(team, c, ldc, a, lda, 1, packed, m, accumulate);
            return;
        }
        var job = new Job
        {
            Team = team, C = c, Ldc = ldc, A = a, RowStride = lda, DepthStride = 1, M = m, Accumulate = accumulate, Level = BestLevel,
            RawB = b, Ldb = ldb, K = k, N = n,
        };
        Run(team, ref job, m, n, k);
    }

    /// <summary>
    /// C[M,N] (+)= A[M,K] · B with B packed (K, N); A read as <c>A[i, p] = a[i·rowStride + p·depthStride]</c>
    /// (row-major A: (lda, 1); A given as its transpose (K, M): (1, lda)).
    /// </summary>
    public static void Multiply(ThreadTeam team, float* c, int ldc, float* a, int rowStride, int depthStride, PackedMatrix b, int m, bool accumulate)
        => Multiply(team, c, ldc, a, rowStride, depthStride, b, m, accumulate, BestLevel);

    /// <summary>As above with the micro-kernel chosen (a level the machine lacks falls back to scalar).</summary>
    public static void Multiply(ThreadTeam team, float* c, int ldc, float* a, int rowStride, int depthStride, PackedMatrix b, int m, bool accumulate, Level level)
        => MultiplyPacked(team, c, ldc, null, 0, b.N, a, rowStride, depthStride, b, m, accumulate, Supported(level));

    /// <summary>
    /// C (+)= A·B where C's columns live in two matrices: columns [0, <paramref name="split"/>) in
    /// <paramref name="c"/> (row stride <paramref name="ldc"/>), columns from <paramref name="split"/>
    /// on in <paramref name="c2"/> (row stride <paramref name="ldc2"/>), column <paramref name="split"/>
    /// at its column 0. <paramref name="split"/> must be a multiple of 16. Each element is the same
    /// chain as in <see cref="Multiply(ThreadTeam, float*, int, float*, int, int, PackedMatrix, int, bool)"/>,
    /// so the bits are those of two separate products; A is packed once for both.
    /// </summary>
    public static void MultiplySplit(ThreadTeam team, float* c, int ldc, float* c2, int ldc2, int split, float* a, int rowStride, int depthStride, PackedMatrix b, int m, bool accumulate)
    {
        int n = b.N;
        if (split % TileColumns != 0 || split <= 0 || split >= n) throw new ArgumentOutOfRangeException(nameof(split), split, $"split must be a multiple of {TileColumns} inside 1..{n - 1}");
        MultiplyPacked(team, c, ldc, c2, ldc2, split, a, rowStride, depthStride, b, m, accumulate, BestLevel);
    }

    // Both packed-B entries: C's columns [0, split) in c, the rest (if any) in c2 from its column 0.
    private static void MultiplyPacked(ThreadTeam team, float* c, int ldc, float* c2, int ldc2, int split, float* a, int rowStride, int depthStride, PackedMatrix b, int m, bool accumulate, Level level)
    {
        int n = b.N, k = b.K;
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++)
                {
                    new Span<float>(c + (long)i * ldc, split).Clear();
                    if (split < n) new Span<float>(c2 + (long)i * ldc2, n - split).Clear();
                }
            return;
        }
        var job = new Job
        {
            Team = team, C = c, Ldc = ldc, C2 = c2, Ldc2 = ldc2, Split = split, A = a, RowStride = rowStride, DepthStride = depthStride,
            B = b, K = k, N = n, M = m, Accumulate = accumulate, Level = level,
        };
        Run(team, ref job, m, n, k);
    }

    private static void Run(ThreadTeam team, ref Job job, int m, int n, int k)
    {
        int panels = (n + TileColumns - 1) / TileColumns, tiles = (m + TileRows - 1) / TileRows;
        // Split rows when there are plenty: members then pack only their own rows of A (a column
        // split has every member pack all of A). Few rows (the per-step products): split columns.
        job.SplitColumns = tiles < 8 * team.Size && panels >= team.Size;
        fixed (Job* state = &job)
        {
            if (team.Size == 1 || (long)m * n * k < 32 * 1024) Compute(state, 0, 1);
            else team.Run(&Compute, state);
        }
    }

    /// <summary>
    /// One member's columns <c>[j0, j1)</c> (j0 a multiple of 16) of C (+)= A·B, all M rows, using
    /// <paramref name="scratch"/> (<see cref="ThreadTeam.ScratchFloats"/> floats) to pack A.
    /// </summary>
    public static void MultiplyColumns(float* scratch, float* c, int ldc, float* a, int rowStride, int depthStride, PackedMatrix b, int m, int j0, int j1, bool accumulate)
    {
        if (m <= 0 || j0 >= j1) return;
        if (b.K <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc + j0, j1 - j0).Clear();
            return;
        }
        var job = new Job { C = c, Ldc = ldc, A = a, RowStride = rowStride, DepthStride = depthStride, B = b, K = b.K, N = b.N, M = m, Accumulate = accumulate, Level = BestLevel };
        Blocked(ref job, scratch, 0, m, j0, j1);
    }

    /// <summary>
    /// Row vector times packed matrix for columns <c>[j0, j1)</c> (j0 a multiple of 16):
    /// <c>y[j] (+)= Σ_p x[p]·B[p, j]</c>, the same chain as the matrix kernels (so the same bits),
    /// four panels at a time so eight accumulators hide the FMA latency.
    /// </summary>
    public static void MultiplyVector(float* y, float* x, PackedMatrix b, int j0, int j1, bool accumulate, Level level = Level.Vector256)
    {
        int k = b.K;
        bool wide = Vector256.IsHardwareAccelerated && level == Level.Vector256;
        float* tile = stackalloc float[TileColumns];
        for (int j = j0; j < j1;)
        {
            float* panel = b.Panel(j / TileColumns);
            if (wide && j + 4 * TileColumns <= j1)
            {
                Vector4Panels256(y + j, x, panel, (long)k * TileColumns, k, accumulate);
                j += 4 * TileColumns;
                continue;
            }
            int cols = Math.Min(TileColumns, j1 - j);
            if (wide)
            {
                // One panel: two chains (latency-bound, but 8 lanes each); a partial panel through a tile.
                float* dst = cols == TileColumns ? y + j : tile;
                if (cols < TileColumns) for (int jj = 0; jj < TileColumns; jj++) tile[jj] = jj < cols ? y[j + jj] : 0f;
                VectorPanel256(dst, x, panel, k, accumulate);
                if (cols < TileColumns) for (int jj = 0; jj < cols; jj++) y[j + jj] = tile[jj];
                j += TileColumns;
                continue;
            }
            for (int jj = 0; jj < cols; jj++)
            {
                float sum = accumulate ? y[j + jj] : 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(x[p], panel[(long)p * TileColumns + jj], sum);
                y[j + jj] = sum;
            }
            j += TileColumns;
        }
    }

    private static void VectorPanel256(float* y, float* x, float* b, int k, bool accumulate)
    {
        Vector256<float> s0 = accumulate ? Vector256.Load(y) : Vector256<float>.Zero;
        Vector256<float> s1 = accumulate ? Vector256.Load(y + 8) : Vector256<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var xp = Vector256.Create(x[p]);
            s0 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + (long)p * TileColumns), s0);
            s1 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + (long)p * TileColumns + 8), s1);
        }
        s0.Store(y); s1.Store(y + 8);
    }

    private static void Vector4Panels256(float* y, float* x, float* b, long panelStride, int k, bool accumulate)
    {
        float* b1 = b + panelStride, b2 = b1 + panelStride, b3 = b2 + panelStride;
        Vector256<float> s0, s1, s2, s3, s4, s5, s6, s7;
        if (accumulate)
        {
            s0 = Vector256.Load(y); s1 = Vector256.Load(y + 8); s2 = Vector256.Load(y + 16); s3 = Vector256.Load(y + 24);
            s4 = Vector256.Load(y + 32); s5 = Vector256.Load(y + 40); s6 = Vector256.Load(y + 48); s7 = Vector256.Load(y + 56);
        }
        else s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Vector256<float>.Zero;
        for (int p = 0; p < k; p++)
        {
            var xp = Vector256.Create(x[p]);
            long o = (long)p * TileColumns;
            s0 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + o), s0);
            s1 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b + o + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b1 + o), s2);
            s3 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b1 + o + 8), s3);
            s4 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b2 + o), s4);
            s5 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b2 + o + 8), s5);
            s6 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b3 + o), s6);
            s7 = Vector256.FusedMultiplyAdd(xp, Vector256.LoadAligned(b3 + o + 8), s7);
        }
        s0.Store(y); s1.Store(y + 8); s2.Store(y + 16); s3.Store(y + 24);
        s4.Store(y + 32); s5.Store(y + 40); s6.Store(y + 48); s7.Store(y + 56);
    }

    private struct Job
    {
        public float* C, A;
        public int Ldc, RowStride, DepthStride, M, K, N;
        public float* C2;            // columns from Split on go to C2 (row stride Ldc2), column Split at its column 0
        public int Ldc2, Split;
        public PackedMatrix? B;      // packed B, or
        public float* RawB;          // row-major B (K, N) with row stride Ldb, packed panel by panel in Blocked
        public int Ldb;
        public ThreadTeam Team;
        public Level Level;
        public bool Accumulate, SplitColumns;
    }

    // One member's share: whole 16-column panels or whole 6-row tiles, so no element is shared.
    private static void Compute(void* state, int member, int members)
    {
        ref var job = ref Unsafe.AsRef<Job>(state);
        int m = job.M, n = job.N;
        int i0 = 0, i1 = m, j0 = 0, j1 = n;
        if (job.SplitColumns) (j0, j1) = ThreadTeam.Range(n, members, member, TileColumns);
        else (i0, i1) = ThreadTeam.Range(m, members, member, TileRows);
        if (i0 >= i1 || j0 >= j1) return;
        Blocked(ref job, job.Team.Scratch(member), i0, i1, j0, j1);
    }

    private static void Blocked(ref Job job, float* aPack, int i0, int i1, int j0, int j1)
    {
        var b = job.B;
        var level = job.Level;
        int k = job.K, n = job.N, ldc = job.Ldc;
        float* tile = stackalloc float[TileRows * TileColumns];
        float* bPack = aPack + RowBlock * DepthBlock; // one or two panels' k-blocks when B is packed on the fly
        for (int jc = j0; jc < j1; jc += ColumnBlock)
        {
            int jcEnd = Math.Min(jc + ColumnBlock, j1);
            for (int pc = 0; pc < k; pc += DepthBlock)
            {
                int kc = Math.Min(DepthBlock, k - pc);
                bool load = job.Accumulate || pc > 0;
                for (int ic = i0; ic < i1; ic += RowBlock)
                {
                    int mc = Math.Min(RowBlock, i1 - ic);
                    var (wide, narrow) = TilePlan(mc);
                    int tiles = wide + narrow;
                    // Few rows (the per-step products), row-major A, whole tiles: the kernel reads A's
                    // rows where they are. Packing them would copy all of A on every member for every
                    // product (they share no rows) to save nothing: the rows are short and stay cached.
                    bool direct = job.DepthStride == 1 && i1 - i0 <= RowBlock && wide * TileRows + narrow * NarrowRows == mc;
                    if (!direct) PackA(aPack, job.A + (long)ic * job.RowStride + (long)pc * job.DepthStride, job.RowStride, job.DepthStride, mc, kc, wide, narrow);
                    for (int jr = jc; jr < jcEnd;)
                    {
                        int cols = Math.Min(TileColumns, n - jr);
                        // This panel's columns of C: in C, or past the split in C2.
                        bool second = job.C2 != null && jr >= job.Split;
                        float* cPanel = second ? job.C2 + (jr - job.Split) : job.C + jr;
                        int cl = second ? job.Ldc2 : ldc;
                        // Vector512: two whole neighbouring panels on one side of the split go through
                        // together, 32 columns (two vectors) per row: half the C traffic and broadcasts
                        // per multiply-add of one panel at a time.
                        int width = level == Level.Vector512 && jr + 2 * TileColumns <= jcEnd && (job.C2 == null || jr + TileColumns != job.Split) ? 2 : 1;
                        float* panel, panel2, nextPanel, nextPanel2;
                        if (b is not null)
                        {
                            panel = b.Panel(jr / TileColumns) + (long)pc * TileColumns;
                            panel2 = width == 2 ? b.Panel(jr / TileColumns + 1) + (long)pc * TileColumns : null;
                            // The next panels' kc rows (one 64-byte line each) are fetched while these
                            // panels' tiles compute, a share per tile: weights too big for L2 would
                            // otherwise arrive from L3 at the pace of the first tile's loads.
                            int after = jr + width * TileColumns;
                            nextPanel = after < jcEnd ? b.Panel(after / TileColumns) + (long)pc * TileColumns : null;
                            nextPanel2 = width == 2 && after + TileColumns < jcEnd ? b.Panel(after / TileColumns + 1) + (long)pc * TileColumns : null;
                        }
                        else
                        {
                            panel = bPack;
                            PackPanelSlice(bPack, job.RawB + (long)pc * job.Ldb + jr, job.Ldb, kc, cols);
                            panel2 = null;
                            if (width == 2)
                            {
                                panel2 = bPack + DepthBlock * TileColumns;
                                PackPanelSlice(panel2, job.RawB + (long)pc * job.Ldb + jr + TileColumns, job.Ldb, kc, TileColumns);
                            }
                            nextPanel = nextPanel2 = null;
                        }
                        int linesPerTile = (kc + tiles - 1) / tiles;
                        for (int t = 0; t < tiles;)
                        {
                            bool isWide = t < wide;
                            int height = isWide ? TileRows : NarrowRows;
                            int ir = isWide ? t * TileRows : wide * TileRows + (t - wide) * NarrowRows;
                            int rows = Math.Min(height, mc - ir);
                            // Vector512: two whole tiles of one height side by side make one 12-row (or
                            // 8-row) tile, one vector per row and panel; with one panel, a lone or edge
                            // tile takes the 256-bit kernel.
                            bool pair = level == Level.Vector512 && cols == TileColumns && t + 1 < tiles && (t + 1 < wide) == isWide && ir + 2 * height <= mc;
                            int span = pair ? 2 : 1;
                            if (Sse.IsSupported && nextPanel is not null)
                            {
                                int l0 = t * linesPerTile, l1 = Math.Min(kc, l0 + span * linesPerTile);
                                for (int line = l0; line < l1; line++) Sse.Prefetch0(nextPanel + (long)line * TileColumns);
                                if (nextPanel2 is not null)
                                    for (int line = l0; line < l1; line++) Sse.Prefetch0(nextPanel2 + (long)line * TileColumns);
                            }
                            float* cTile = cPanel + (long)(ic + ir) * cl;
                            // C rows are far apart and usually out of cache: ask for the next tile's
                            // lines now, so they arrive while this tile computes.
                            if (Sse.IsSupported && t + span < tiles)
                            {
                                int after = ir + span * height;
                                int nextRows = Math.Min(span * (t + span < wide ? TileRows : NarrowRows), mc - after);
                                float* next = cPanel + (long)(ic + after) * cl;
                                int last = width * TileColumns - 1;
                                for (int r = 0; r < nextRows; r++, next += cl) { Sse.Prefetch0(next); Sse.Prefetch0(next + last); }
                            }
                            // The tile's A: its rows where they are (row stride, depth step 1), or its packed
                            // micro-panel (row stride 1, depth step = height).
                            float* aTile = direct ? job.A + (long)(ic + ir) * job.RowStride + pc : aPack + (long)ir * kc;
                            int aRows = direct ? job.RowStride : 1, aDepth = direct ? 1 : height;
                            // The second tile's A, when paired: the next rows in place, or the next micro-panel.
                            float* aNext = direct ? aTile + (long)height * job.RowStride : aTile + (long)height * kc;
                            if (width == 2 && rows == height)
                            {
                                if (pair && isWide) Kernel512<SixRows, Two, Two>(cTile, cl, aTile, aNext, aRows, aDepth, panel, panel2, kc, load);
                                else if (pair) Kernel512<FourRows, Two, Two>(cTile, cl, aTile, aNext, aRows, aDepth, panel, panel2, kc, load);
                                else if (isWide) Kernel512<SixRows, One, Two>(cTile, cl, aTile, aTile, aRows, aDepth, panel, panel2, kc, load);
                                else Kernel512<FourRows, One, Two>(cTile, cl, aTile, aTile, aRows, aDepth, panel, panel2, kc, load);
                            }
                            else if (pair)
                            {
                                if (isWide) Kernel512<SixRows, Two, One>(cTile, cl, aTile, aNext, aRows, aDepth, panel, panel, kc, load);
                                else Kernel512<FourRows, Two, One>(cTile, cl, aTile, aNext, aRows, aDepth, panel, panel, kc, load);
                            }
                            else
                            {
                                // A lone tile on one panel, or an edge tile (fewer rows or columns than
                                // the kernel's): on each panel in turn.
                                for (int w = 0; w < width; w++)
                                {
                                    float* cw = cTile + w * TileColumns, pw = w == 0 ? panel : panel2;
                                    if (rows == height && cols == TileColumns) Kernel(level, isWide, cw, cl, aTile, aRows, aDepth, pw, kc, load);
                                    else EdgeTile(level, isWide, tile, cw, cl, rows, cols, aTile, aRows, aDepth, pw, kc, load);
                                }
                            }
                            t += span;
                        }
                        jr += width * TileColumns;
                    }
                }
            }
        }
    }

    // A tile with fewer rows or columns than the kernel's, through a scratch tile (packed A rows past
    // m are zero; A read in place is used only when the tiles cover exactly m rows).
    private static void EdgeTile(Level level, bool wide, float* tile, float* cTile, int cl, int rows, int cols, float* a, int aRows, int aDepth, float* panel, int kc, bool load)
    {
        if (load)
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < cols; j++) tile[r * TileColumns + j] = cTile[(long)r * cl + j];
        Kernel(level, wide, tile, TileColumns, a, aRows, aDepth, panel, kc, load);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) cTile[(long)r * cl + j] = tile[r * TileColumns + j];
    }

    // kc rows × cols (≤ 16) of row-major B → one k-major panel slice of 16 columns, zero past cols.
    private static void PackPanelSlice(float* dst, float* b, int ldb, int kc, int cols)
    {
        if (cols == TileColumns)
        {
            for (int p = 0; p < kc; p++) Unsafe.CopyBlockUnaligned(dst + p * TileColumns, b + (long)p * ldb, TileColumns * sizeof(float));
            return;
        }
        for (int p = 0; p < kc; p++)
            for (int j = 0; j < TileColumns; j++) dst[p * TileColumns + j] = j < cols ? b[(long)p * ldb + j] : 0f;
    }

    /// <summary>
    /// How a block of <paramref name="mc"/> rows is cut into register tiles: <c>Wide</c> 6-row tiles
    /// then <c>Narrow</c> 4-row tiles, computing the fewest padded rows (32 rows: 6+6+6+6+4+4, where
    /// 6-row tiles alone would compute 36). Never more than ⌈mc/6⌉·6 rows, so the scratch fits.
    /// </summary>
    internal static (int Wide, int Narrow) TilePlan(int mc)
    {
        int wide = mc / TileRows, rest = mc - TileRows * wide;
        return rest switch
        {
            0 => (wide, 0),
            1 or 2 when wide > 0 => (wide - 1, 2),
            1 or 2 => (0, 1),
            3 or 4 => (wide, 1),
            _ => (wide + 1, 0),
        };
    }

    // A block (mc, kc) → micro-panels (Wide of 6 rows, then Narrow of 4), each k-major (height floats
    // per k), stacked; rows past mc are zero.
    private static void PackA(float* dst, float* a, int rowStride, int depthStride, int mc, int kc, int wide, int narrow)
    {
        if (rowStride == 1 && depthStride != 1)
        {
            // A given as its transpose: row p of Aᵀ holds this block's mc values for depth p contiguously.
            // Read each such row once, whole, and deal it out to the micro-panels. (Walking panel by
            // panel instead revisits every row once per panel, and with a power-of-two stride such as
            // 4H those rows share a cache set and are evicted in between.)
            int fullWide = Math.Min(wide, mc / TileRows);
            float* narrowStart = dst + (long)wide * TileRows * kc;
            for (int p = 0; p < kc; p++)
            {
                float* src = a + (long)p * depthStride;
                float* d = dst + p * TileRows;
                int ir = 0;
                if (Vector256.IsHardwareAccelerated && p + 1 < kc)
                {
                    // One 8-float copy per tile where 6 belong: the 2 extra land in this tile's slot for
                    // depth p + 1, which is written next; the last depth copies exactly, so nothing
                    // spills past the panel. (Scalar element copies made this pack 10% of the product.)
                    for (int t = 0; t < fullWide; t++, ir += TileRows, d += (long)TileRows * kc)
                        Vector256.Store(Vector256.Load(src + ir), d);
                }
                else
                    for (int t = 0; t < fullWide; t++, ir += TileRows, d += (long)TileRows * kc)
                    {
                        d[0] = src[ir]; d[1] = src[ir + 1]; d[2] = src[ir + 2]; d[3] = src[ir + 3]; d[4] = src[ir + 4]; d[5] = src[ir + 5];
                    }
                for (int t = fullWide; t < wide; t++, ir += TileRows, d += (long)TileRows * kc)
                    for (int r = 0; r < TileRows; r++) d[r] = ir + r < mc ? src[ir + r] : 0f;
                d = narrowStart + p * NarrowRows;
                for (int t = 0; t < narrow; t++, ir += NarrowRows, d += (long)NarrowRows * kc)
                {
                    if (ir + NarrowRows <= mc) { d[0] = src[ir]; d[1] = src[ir + 1]; d[2] = src[ir + 2]; d[3] = src[ir + 3]; }
                    else for (int r = 0; r < NarrowRows; r++) d[r] = ir + r < mc ? src[ir + r] : 0f;
                }
            }
            return;
        }
        for (int t = 0; t < wide + narrow; t++)
        {
            int height = t < wide ? TileRows : NarrowRows;
            int ir = t < wide ? t * TileRows : wide * TileRows + (t - wide) * NarrowRows;
            int rows = Math.Min(height, mc - ir);
            float* panel = dst + (long)ir * kc;
            float* r0 = a + (long)ir * rowStride;
            if (depthStride == 1 && rows == TileRows)
            {
                float* r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride, r4 = r3 + rowStride, r5 = r4 + rowStride;
                int p = Avx.IsSupported ? Pack6Rows(panel, r0, rowStride, kc) : 0;
                for (; p < kc; p++)
                {
                    float* d = panel + p * TileRows;
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
                }
            }
            else if (depthStride == 1 && rows == NarrowRows && height == NarrowRows)
            {
                float* r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride;
                int p = Avx.IsSupported ? Pack4Rows(panel, r0, rowStride, kc) : 0;
                for (; p < kc; p++)
                {
                    float* d = panel + p * NarrowRows;
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                    for (int r = 0; r < height; r++)
                        panel[p * height + r] = r < rows ? a[(long)(ir + r) * rowStride + (long)p * depthStride] : 0f;
            }
        }
    }

    // Six rows of row-major A, eight depths at a time, into a 6-row micro-panel (6 floats per depth):
    // an 8×8 register transpose (rows 6 and 7 zero), then one 8-float store per depth, whose last two
    // floats land in the next depth's slot and are overwritten by its store. The loop stops while a
    // depth is still left to the caller's scalar tail, so nothing is written past the panel. Returns
    // the depths done.
    private static int Pack6Rows(float* panel, float* r0, int rowStride, int kc)
    {
        int p = 0;
        var zero = Vector256<float>.Zero;
        for (; p + 8 < kc; p += 8)
        {
            float* r = r0 + p;
            var (s0, s1, s2, s3) = Transpose4Rows(r, rowStride);
            // Rows 4 and 5 the same way, with rows 6 and 7 zero: uN holds depths N and N + 4 of rows 4-7.
            var a4 = Avx.LoadVector256(r + 4 * rowStride); var a5 = Avx.LoadVector256(r + 5 * rowStride);
            var t4 = Avx.UnpackLow(a4, a5); var t5 = Avx.UnpackHigh(a4, a5);
            var u0 = Avx.Shuffle(t4, zero, 0x44); var u1 = Avx.Shuffle(t4, zero, 0xEE);
            var u2 = Avx.Shuffle(t5, zero, 0x44); var u3 = Avx.Shuffle(t5, zero, 0xEE);
            float* d = panel + (long)p * TileRows;
            Avx.Store(d, Avx.Permute2x128(s0, u0, 0x20));
            Avx.Store(d + TileRows, Avx.Permute2x128(s1, u1, 0x20));
            Avx.Store(d + 2 * TileRows, Avx.Permute2x128(s2, u2, 0x20));
            Avx.Store(d + 3 * TileRows, Avx.Permute2x128(s3, u3, 0x20));
            Avx.Store(d + 4 * TileRows, Avx.Permute2x128(s0, u0, 0x31));
            Avx.Store(d + 5 * TileRows, Avx.Permute2x128(s1, u1, 0x31));
            Avx.Store(d + 6 * TileRows, Avx.Permute2x128(s2, u2, 0x31));
            Avx.Store(d + 7 * TileRows, Avx.Permute2x128(s3, u3, 0x31));
        }
        return p;
    }

    // Four rows of row-major A, eight depths at a time, into a 4-row micro-panel: the same transpose
    // for rows 0-3, each depth's four floats stored exactly. Returns the depths done.
    private static int Pack4Rows(float* panel, float* r0, int rowStride, int kc)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            var (s0, s1, s2, s3) = Transpose4Rows(r0 + p, rowStride);
            float* d = panel + (long)p * NarrowRows;
            Sse.Store(d, s0.GetLower()); Sse.Store(d + NarrowRows, s1.GetLower());
            Sse.Store(d + 2 * NarrowRows, s2.GetLower()); Sse.Store(d + 3 * NarrowRows, s3.GetLower());
            Sse.Store(d + 4 * NarrowRows, s0.GetUpper()); Sse.Store(d + 5 * NarrowRows, s1.GetUpper());
            Sse.Store(d + 6 * NarrowRows, s2.GetUpper()); Sse.Store(d + 7 * NarrowRows, s3.GetUpper());
        }
        return p;
    }

    // Eight depths of four rows (row stride rowStride) transposed: sN holds rows 0-3 at depth N in its
    // low lane and at depth N + 4 in its high lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Transpose4Rows(float* r, int rowStride)
    {
        var a0 = Avx.LoadVector256(r); var a1 = Avx.LoadVector256(r + rowStride);
        var a2 = Avx.LoadVector256(r + 2 * rowStride); var a3 = Avx.LoadVector256(r + 3 * rowStride);
        var t0 = Avx.UnpackLow(a0, a1); var t1 = Avx.UnpackHigh(a0, a1);
        var t2 = Avx.UnpackLow(a2, a3); var t3 = Avx.UnpackHigh(a2, a3);
        return (Avx.Shuffle(t0, t2, 0x44), Avx.Shuffle(t0, t2, 0xEE), Avx.Shuffle(t1, t3, 0x44), Avx.Shuffle(t1, t3, 0xEE));
    }

    // ---------------------------------------------------------------------------------------------
    // Micro-kernels: C[6,16] (+)= Apanel[6,kc] · Bpanel[kc,16] (Vector512: two such tiles at once);
    // `load` starts the chains from C.
    // ---------------------------------------------------------------------------------------------

    private static Level Supported(Level level) => level switch
    {
        Level.Vector512 when Vector512.IsHardwareAccelerated => Level.Vector512,
        Level.Vector512 or Level.Vector256 when Vector256.IsHardwareAccelerated => Level.Vector256,
        Level.Vector512 or Level.Vector256 or Level.Vector128 when Vector128.IsHardwareAccelerated => Level.Vector128,
        _ => Level.Scalar,
    };

    // The tile's height as a type, so each kernel is compiled once per height with the unused rows gone.
    private interface ITileHeight { static abstract int Rows { get; } }
    private struct SixRows : ITileHeight { public static int Rows => TileRows; }
    private struct FourRows : ITileHeight { public static int Rows => NarrowRows; }
    // How many tiles and panels one Vector512 kernel call computes, also as types.
    private interface ICount { static abstract int Value { get; } }
    private struct One : ICount { public static int Value => 1; }
    private struct Two : ICount { public static int Value => 2; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(Level level, bool wide, float* c, int ldc, float* a, int aRows, int aDepth, float* b, int kc, bool load)
    {
        if (Vector256.IsHardwareAccelerated && level >= Level.Vector256)
        {
            if (wide) Kernel256<SixRows>(c, ldc, a, aRows, aDepth, b, kc, load);
            else Kernel256<FourRows>(c, ldc, a, aRows, aDepth, b, kc, load);
        }
        else if (Vector128.IsHardwareAccelerated && level != Level.Scalar)
        {
            if (wide) Kernel128<SixRows>(c, ldc, a, aRows, aDepth, b, kc, load);
            else Kernel128<FourRows>(c, ldc, a, aRows, aDepth, b, kc, load);
        }
        else KernelScalar(c, ldc, a, aRows, aDepth, b, kc, load, wide ? TileRows : NarrowRows);
    }

    // C[rows,16] (+)= A[rows,kc] · Bpanel[kc,16] with rows = 6 (12 accumulators) or 4 (8); A[r, p] at
    // a[r·aRows + p·aDepth] (a packed micro-panel: 1, rows; rows read in place: their stride, 1).
    private static void Kernel256<THeight>(float* c, int ldc, float* a, nint aRows, nint aDepth, float* b, int kc, bool load) where THeight : struct, ITileHeight
    {
        bool six = THeight.Rows == TileRows;
        float* a1 = a + aRows, a2 = a1 + aRows, a3 = a2 + aRows, a4 = six ? a3 + aRows : a3, a5 = six ? a4 + aRows : a3;
        nint q = 0;
        var c00 = Vector256<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
        var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        if (load)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            c10 = Vector256.Load(c1); c11 = Vector256.Load(c1 + 8);
            c20 = Vector256.Load(c2); c21 = Vector256.Load(c2 + 8);
            c30 = Vector256.Load(c3); c31 = Vector256.Load(c3 + 8);
            if (six)
            {
                c40 = Vector256.Load(c4); c41 = Vector256.Load(c4 + 8);
                c50 = Vector256.Load(c5); c51 = Vector256.Load(c5 + 8);
            }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadAligned(b);
            var b1 = Vector256.LoadAligned(b + 8);
            var x = Vector256.Create(a[q]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[q]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[q]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[q]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            if (six)
            {
                x = Vector256.Create(a4[q]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a5[q]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            }
            q += aDepth;
            b += TileColumns;
        }
        c00.Store(c); c01.Store(c + 8);
        c10.Store(c1); c11.Store(c1 + 8);
        c20.Store(c2); c21.Store(c2 + 8);
        c30.Store(c3); c31.Store(c3 + 8);
        if (six)
        {
            c40.Store(c4); c41.Store(c4 + 8);
            c50.Store(c5); c51.Store(c5 + 8);
        }
    }

    // Vector512: C[t·h, 16·w] (+)= A[t·h, kc] · B[kc, 16·w] with h = 6 or 4 rows per tile, t = 1 or 2
    // tiles and w = 1 or 2 panels (columns 0-15 from panel b, 16-31 from b2): one 16-float vector per
    // row and panel, up to 24 accumulators. Per k, one load per panel and one broadcast per row, used
    // by w multiply-adds. Rows 0..h-1 come from `a`, rows h..2h-1 from `a2` (each as in Kernel256:
    // row r at r·aRows, depth p at p·aDepth). Four row pointers and the row stride address all rows
    // (rows 0-2 of a tile from its first pointer, 3-5 from a second one three rows on), so nothing is
    // kept on the stack.
    private static void Kernel512<THalf, TTiles, TPanels>(float* c, int ldc, float* a, float* a2, nint aRows, nint aDepth, float* b, float* b2, int kc, bool load)
        where THalf : struct, ITileHeight where TTiles : struct, ICount where TPanels : struct, ICount
    {
        bool six = THalf.Rows == TileRows, two = TTiles.Value == 2, wide = TPanels.Value == 2;
        nint s = aRows * sizeof(float), step = aDepth * sizeof(float);
        byte* p0 = (byte*)a, p3 = p0 + 3 * s, q0 = (byte*)a2, q3 = q0 + 3 * s;
        int h = THalf.Rows;
        float* c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        float* d0 = c + h * ldc, d1 = d0 + ldc, d2 = d1 + ldc, d3 = d2 + ldc, d4 = d3 + ldc, d5 = d4 + ldc;
        // xN, uN: row N of the first tile, first and second panel; yN, vN: the same for the second tile.
        var x0 = Vector512<float>.Zero; var x1 = x0; var x2 = x0; var x3 = x0; var x4 = x0; var x5 = x0;
        var u0 = x0; var u1 = x0; var u2 = x0; var u3 = x0; var u4 = x0; var u5 = x0;
        var y0 = x0; var y1 = x0; var y2 = x0; var y3 = x0; var y4 = x0; var y5 = x0;
        var v0 = x0; var v1 = x0; var v2 = x0; var v3 = x0; var v4 = x0; var v5 = x0;
        if (load)
        {
            x0 = Vector512.Load(c); x1 = Vector512.Load(c1); x2 = Vector512.Load(c2); x3 = Vector512.Load(c3);
            if (six) { x4 = Vector512.Load(c4); x5 = Vector512.Load(c5); }
            if (wide)
            {
                u0 = Vector512.Load(c + 16); u1 = Vector512.Load(c1 + 16); u2 = Vector512.Load(c2 + 16); u3 = Vector512.Load(c3 + 16);
                if (six) { u4 = Vector512.Load(c4 + 16); u5 = Vector512.Load(c5 + 16); }
            }
            if (two)
            {
                y0 = Vector512.Load(d0); y1 = Vector512.Load(d1); y2 = Vector512.Load(d2); y3 = Vector512.Load(d3);
                if (six) { y4 = Vector512.Load(d4); y5 = Vector512.Load(d5); }
                if (wide)
                {
                    v0 = Vector512.Load(d0 + 16); v1 = Vector512.Load(d1 + 16); v2 = Vector512.Load(d2 + 16); v3 = Vector512.Load(d3 + 16);
                    if (six) { v4 = Vector512.Load(d4 + 16); v5 = Vector512.Load(d5 + 16); }
                }
            }
        }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = wide ? Vector512.Load(b2) : b0;
            var e = Vector512.Create(*(float*)p0); x0 = Vector512.FusedMultiplyAdd(e, b0, x0); if (wide) u0 = Vector512.FusedMultiplyAdd(e, b1, u0);
            e = Vector512.Create(*(float*)(p0 + s)); x1 = Vector512.FusedMultiplyAdd(e, b0, x1); if (wide) u1 = Vector512.FusedMultiplyAdd(e, b1, u1);
            e = Vector512.Create(*(float*)(p0 + 2 * s)); x2 = Vector512.FusedMultiplyAdd(e, b0, x2); if (wide) u2 = Vector512.FusedMultiplyAdd(e, b1, u2);
            e = Vector512.Create(*(float*)p3); x3 = Vector512.FusedMultiplyAdd(e, b0, x3); if (wide) u3 = Vector512.FusedMultiplyAdd(e, b1, u3);
            if (six)
            {
                e = Vector512.Create(*(float*)(p3 + s)); x4 = Vector512.FusedMultiplyAdd(e, b0, x4); if (wide) u4 = Vector512.FusedMultiplyAdd(e, b1, u4);
                e = Vector512.Create(*(float*)(p3 + 2 * s)); x5 = Vector512.FusedMultiplyAdd(e, b0, x5); if (wide) u5 = Vector512.FusedMultiplyAdd(e, b1, u5);
            }
            if (two)
            {
                e = Vector512.Create(*(float*)q0); y0 = Vector512.FusedMultiplyAdd(e, b0, y0); if (wide) v0 = Vector512.FusedMultiplyAdd(e, b1, v0);
                e = Vector512.Create(*(float*)(q0 + s)); y1 = Vector512.FusedMultiplyAdd(e, b0, y1); if (wide) v1 = Vector512.FusedMultiplyAdd(e, b1, v1);
                e = Vector512.Create(*(float*)(q0 + 2 * s)); y2 = Vector512.FusedMultiplyAdd(e, b0, y2); if (wide) v2 = Vector512.FusedMultiplyAdd(e, b1, v2);
                e = Vector512.Create(*(float*)q3); y3 = Vector512.FusedMultiplyAdd(e, b0, y3); if (wide) v3 = Vector512.FusedMultiplyAdd(e, b1, v3);
                if (six)
                {
                    e = Vector512.Create(*(float*)(q3 + s)); y4 = Vector512.FusedMultiplyAdd(e, b0, y4); if (wide) v4 = Vector512.FusedMultiplyAdd(e, b1, v4);
                    e = Vector512.Create(*(float*)(q3 + 2 * s)); y5 = Vector512.FusedMultiplyAdd(e, b0, y5); if (wide) v5 = Vector512.FusedMultiplyAdd(e, b1, v5);
                }
            }
            p0 += step; p3 += step; q0 += step; q3 += step;
            b += TileColumns; b2 += TileColumns;
        }
        x0.Store(c); x1.Store(c1); x2.Store(c2); x3.Store(c3);
        if (six) { x4.Store(c4); x5.Store(c5); }
        if (wide)
        {
            u0.Store(c + 16); u1.Store(c1 + 16); u2.Store(c2 + 16); u3.Store(c3 + 16);
            if (six) { u4.Store(c4 + 16); u5.Store(c5 + 16); }
        }
        if (two)
        {
            y0.Store(d0); y1.Store(d1); y2.Store(d2); y3.Store(d3);
            if (six) { y4.Store(d4); y5.Store(d5); }
            if (wide)
            {
                v0.Store(d0 + 16); v1.Store(d1 + 16); v2.Store(d2 + 16); v3.Store(d3 + 16);
                if (six) { v4.Store(d4 + 16); v5.Store(d5 + 16); }
            }
        }
    }

    // Vector128: the 16 columns as two halves of 8, up to 12 accumulators each.
    private static void Kernel128<THeight>(float* c, int ldc, float* a, nint aRows, nint aDepth, float* b, int kc, bool load) where THeight : struct, ITileHeight
    {
        bool six = THeight.Rows == TileRows;
        float* a1 = a + aRows, a2 = a1 + aRows, a3 = a2 + aRows, a4 = six ? a3 + aRows : a3, a5 = six ? a4 + aRows : a3;
        for (int half = 0; half < 2; half++)
        {
            float* ch = c + 8 * half;
            float* c1 = ch + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
            var c00 = Vector128<float>.Zero; var c01 = c00; var c10 = c00; var c11 = c00; var c20 = c00; var c21 = c00;
            var c30 = c00; var c31 = c00; var c40 = c00; var c41 = c00; var c50 = c00; var c51 = c00;
            if (load)
            {
                c00 = Vector128.Load(ch); c01 = Vector128.Load(ch + 4);
                c10 = Vector128.Load(c1); c11 = Vector128.Load(c1 + 4);
                c20 = Vector128.Load(c2); c21 = Vector128.Load(c2 + 4);
                c30 = Vector128.Load(c3); c31 = Vector128.Load(c3 + 4);
                if (six)
                {
                    c40 = Vector128.Load(c4); c41 = Vector128.Load(c4 + 4);
                    c50 = Vector128.Load(c5); c51 = Vector128.Load(c5 + 4);
                }
            }
            nint q = 0;
            float* bp = b + 8 * half;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector128.Load(bp);
                var b1 = Vector128.Load(bp + 4);
                var x = Vector128.Create(a[q]);
                c00 = Vector128.FusedMultiplyAdd(x, b0, c00); c01 = Vector128.FusedMultiplyAdd(x, b1, c01);
                x = Vector128.Create(a1[q]);
                c10 = Vector128.FusedMultiplyAdd(x, b0, c10); c11 = Vector128.FusedMultiplyAdd(x, b1, c11);
                x = Vector128.Create(a2[q]);
                c20 = Vector128.FusedMultiplyAdd(x, b0, c20); c21 = Vector128.FusedMultiplyAdd(x, b1, c21);
                x = Vector128.Create(a3[q]);
                c30 = Vector128.FusedMultiplyAdd(x, b0, c30); c31 = Vector128.FusedMultiplyAdd(x, b1, c31);
                if (six)
                {
                    x = Vector128.Create(a4[q]);
                    c40 = Vector128.FusedMultiplyAdd(x, b0, c40); c41 = Vector128.FusedMultiplyAdd(x, b1, c41);
                    x = Vector128.Create(a5[q]);
                    c50 = Vector128.FusedMultiplyAdd(x, b0, c50); c51 = Vector128.FusedMultiplyAdd(x, b1, c51);
                }
                q += aDepth;
                bp += TileColumns;
            }
            c00.Store(ch); c01.Store(ch + 4);
            c10.Store(c1); c11.Store(c1 + 4);
            c20.Store(c2); c21.Store(c2 + 4);
            c30.Store(c3); c31.Store(c3 + 4);
            if (six)
            {
                c40.Store(c4); c41.Store(c4 + 4);
                c50.Store(c5); c51.Store(c5 + 4);
            }
        }
    }

    private static void KernelScalar(float* c, int ldc, float* a, int aRows, int aDepth, float* b, int kc, bool load, int rows)
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < TileColumns; j++)
            {
                float* cij = c + (long)r * ldc + j;
                float sum = load ? *cij : 0f;
                for (int p = 0; p < kc; p++) sum = MathF.FusedMultiplyAdd(a[(long)r * aRows + (long)p * aDepth], b[p * TileColumns + j], sum);
                *cij = sum;
            }
    }

    /// <summary><c>dst[cols, rows] (+)= src[rows, cols]ᵀ</c> (row strides given): one add per element with <paramref name="accumulate"/>.</summary>
    public static void Transpose(float* dst, int ldd, float* src, int lds, int rows, int cols, bool accumulate = false)
    {
        // Blocked so both sides stay in cache for large matrices.
        const int Block = 32;
        for (int i0 = 0; i0 < rows; i0 += Block)
        {
            int i1 = Math.Min(rows, i0 + Block);
            for (int j0 = 0; j0 < cols; j0 += Block)
            {
                int j1 = Math.Min(cols, j0 + Block);
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++)
                    {
                        float* d = dst + (long)j * ldd + i;
                        *d = accumulate ? *d + src[(long)i * lds + j] : src[(long)i * lds + j];
                    }
            }
        }
    }
}
