using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

// Job structs for the thread team live on the caller's stack and are passed by pointer; some hold
// object references, which is safe here: the caller's frame keeps them alive and the caller waits
// until every member is done.
#pragma warning disable CS8500

namespace CharLstm.Numerics;

/// <summary>
/// The blocked driver (GotoBLAS/BLIS order): column blocks of <see cref="ColumnBlock"/>, k blocks of
/// <see cref="DepthBlock"/>, row blocks of <see cref="RowBlock"/> packed into 6-row micro-panels (a
/// single block of whole tiles, as in the per-step products, is read in place instead); inside, a
/// 6×16 register tile, and 4×16 tiles for a block's last rows when they are not a multiple of 6
/// (<see cref="TilePlan"/>). With Vector512, two neighbouring whole panels are computed together, 32
/// columns as two vectors per row, on two neighbouring tiles of one height or on a lone tile; a panel
/// left alone pairs its tiles instead (12×16 or 8×16), and edge tiles keep the Vector256 kernel.
/// </summary>
internal static unsafe partial class MatMul
{
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

    private static void Run(ThreadTeam team, ref Job job)
    {
        int m = job.M, n = job.N, k = job.K;
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
                    if (!direct) PackA(aPack, job.A + (long)ic * job.RowStride + (long)pc * job.DepthStride, job.RowStride, job.DepthStride, mc, kc, wide,
                        narrow);
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
    private static void EdgeTile(Level level, bool wide, float* tile, float* cTile, int cl, int rows, int cols, float* a, int aRows, int aDepth, float* panel,
        int kc, bool load)
    {
        if (load)
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < cols; j++) tile[r * TileColumns + j] = cTile[(long)r * cl + j];
        Kernel(level, wide, tile, TileColumns, a, aRows, aDepth, panel, kc, load);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) cTile[(long)r * cl + j] = tile[r * TileColumns + j];
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
}
