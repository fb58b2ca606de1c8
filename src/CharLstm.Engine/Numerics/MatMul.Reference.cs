namespace CharLstm.Numerics;

/// <summary>The oracle every fast path is compared with, and the plain transpose.</summary>
internal static unsafe partial class MatMul
{
    /// <summary>
    /// C (+)= A·B as the plain triple loop: each element one chain of fused multiply-adds over k in
    /// ascending order. Every fast path gives these bits.
    /// </summary>
    public static void MultiplyReference(MatrixView c, MatrixView a, MatrixView b, bool accumulate)
    {
        CheckShapes(c, a, b.Rows, b.Columns);
        int m = a.Rows, n = b.Columns, k = a.Columns;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float* cij = c.At(i, j);
                float sum = accumulate ? *cij : 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(*a.At(i, p), *b.At(p, j), sum);
                *cij = sum;
            }
        }
    }

    /// <summary><c>target (+)= sourceᵀ</c>: one add per element with <paramref name="accumulate"/>.</summary>
    public static void Transpose(MatrixView target, MatrixView source, bool accumulate = false)
    {
        if (target.Rows != source.Columns || target.Columns != source.Rows) throw new ArgumentException($"the target is {target.Rows}×{target.Columns}, "
            + $"expected {source.Columns}×{source.Rows}", nameof(target));
        int rows = source.Rows, cols = source.Columns;
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
                        float* d = target.At(j, i);
                        *d = accumulate ? *d + *source.At(i, j) : *source.At(i, j);
                    }
            }
        }
    }
}
