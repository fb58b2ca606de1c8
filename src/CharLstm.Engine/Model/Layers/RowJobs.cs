using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using CharLstm.Numerics;

namespace CharLstm.Model.Layers;

/// <summary>
/// The row-wise pieces the layers share, each run on a thread team: rows (or columns) are cut into one
/// contiguous range per member, and every output element is written by one member in a fixed order,
/// so results are the same bits for any thread count.
/// </summary>
internal static unsafe class RowJobs
{
    /// <summary>
    /// <c>rows[r] = b1 + b2</c> (or <c>b1</c> alone when <paramref name="b2"/> is null) for
    /// r &lt; <paramref name="count"/>: the start of each product's chain.
    /// </summary>
    public static void FillBias(ThreadTeam team, float* rows, int count, float* b1, float* b2, int width)
    {
        var job = new BiasJob { Rows = rows, Bias1 = b1, Bias2 = b2, Width = width };
        team.For(count, 1, &BiasRows, &job);
    }

    /// <summary><c>rows[r] = table[tokens[r]]</c> for r &lt; <paramref name="count"/>.</summary>
    public static void Gather(ThreadTeam team, float* rows, float* table, int* tokens, int count, int width)
    {
        var job = new GatherJob { Rows = rows, Table = table, Tokens = tokens, Width = width };
        team.For(count, 1, &GatherRows, &job);
    }

    /// <summary><c>target[tokens[r]] += source[r]</c>, rows in ascending order, columns split between members.</summary>
    public static void ScatterAdd(ThreadTeam team, float* target, float* source, int* tokens, int rows, int width)
    {
        var job = new ScatterJob { Target = target, Source = source, Tokens = tokens, Rows = rows, Width = width };
        team.For(width, 8, &ScatterColumns, &job);
    }

    /// <summary>
    /// <c>sums[j] += Σ_r m[r, j]</c>, rows in ascending order, columns split between members; with
    /// <paramref name="sums2"/> (two biases with one gradient) the rows are summed once and added to both.
    /// </summary>
    public static void ColumnSums(ThreadTeam team, float* sums, float* sums2, float* m, int rows, int cols)
    {
        var job = new SumJob { Sums = sums, Sums2 = sums2, Matrix = m, Rows = rows, Cols = cols };
        team.For(cols, 8, &SumColumns, &job);
    }

    private struct BiasJob
    {
        public float* Rows, Bias1, Bias2;
        public int Width;
    }

    private static void BiasRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<BiasJob>(state);
        int w = job.Width;
        var b1 = new ReadOnlySpan<float>(job.Bias1, w);
        for (int r = start; r < end; r++)
        {
            var row = new Span<float>(job.Rows + (long)r * w, w);
            if (job.Bias2 is null) b1.CopyTo(row);
            else TensorPrimitives.Add(b1, new ReadOnlySpan<float>(job.Bias2, w), row);
        }
    }

    private struct GatherJob
    {
        public float* Rows, Table;
        public int* Tokens;
        public int Width;
    }

    private static void GatherRows(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<GatherJob>(state);
        int w = job.Width;
        for (int r = start; r < end; r++)
            new ReadOnlySpan<float>(job.Table + (long)job.Tokens[r] * w, w).CopyTo(new Span<float>(job.Rows + (long)r * w, w));
    }

    private struct ScatterJob
    {
        public float* Target, Source;
        public int* Tokens;
        public int Rows, Width;
    }

    private static void ScatterColumns(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<ScatterJob>(state);
        int width = end - start, w = job.Width;
        for (int r = 0; r < job.Rows; r++)
        {
            var dst = new Span<float>(job.Target + (long)job.Tokens[r] * w + start, width);
            TensorPrimitives.Add(dst, new ReadOnlySpan<float>(job.Source + (long)r * w + start, width), dst);
        }
    }

    private struct SumJob
    {
        public float* Sums, Sums2, Matrix;
        public int Rows, Cols;
    }

    private static void SumColumns(void* state, int start, int end)
    {
        ref var job = ref Unsafe.AsRef<SumJob>(state);
        int width = end - start;
        if (job.Sums2 is null)
        {
            var sums = new Span<float>(job.Sums + start, width);
            for (int r = 0; r < job.Rows; r++) TensorPrimitives.Add(sums, new ReadOnlySpan<float>(job.Matrix + (long)r * job.Cols + start, width), sums);
            return;
        }
        Span<float> buffer = stackalloc float[512];
        for (int c0 = start; c0 < end; c0 += buffer.Length)
        {
            int w = Math.Min(buffer.Length, end - c0);
            var total = buffer[..w];
            total.Clear();
            for (int r = 0; r < job.Rows; r++) TensorPrimitives.Add(total, new ReadOnlySpan<float>(job.Matrix + (long)r * job.Cols + c0, w), total);
            var s1 = new Span<float>(job.Sums + c0, w);
            TensorPrimitives.Add(s1, total, s1);
            var s2 = new Span<float>(job.Sums2 + c0, w);
            TensorPrimitives.Add(s2, total, s2);
        }
    }
}
