using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CharLstm.Numerics;

/// <summary>
/// Dense row-major matrix multiply <c>C[M,N] (+)= A[M,K] · B[K,N]</c> with row strides. Every product
/// in the model is put in this one form (weights are transposed once per call where needed), so one
/// kernel carries the speed and one scalar reference carries the truth.
/// </summary>
/// <remarks>
/// Each output element is summed over k in ascending order by exactly one code path, so results do
/// not depend on how rows are split across threads: same inputs, same bits.
/// </remarks>
internal static unsafe class MatMul
{
    /// <summary>The fast path on a team (the team is not used yet: one thread).</summary>
    public static void Multiply(ThreadTeam team, float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
        => Multiply(c, ldc, a, lda, b, ldb, m, n, k, accumulate);

    /// <summary>Fast path: dispatches Vector256 → Vector128 → scalar.</summary>
    public static void Multiply(float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            return;
        }
        if (Vector256.IsHardwareAccelerated) Multiply256(c, ldc, a, lda, b, ldb, m, n, k, accumulate);
        else if (Vector128.IsHardwareAccelerated) Multiply128(c, ldc, a, lda, b, ldb, m, n, k, accumulate);
        else MultiplyReference(c, ldc, a, lda, b, ldb, m, n, k, accumulate);
    }

    /// <summary>The plain triple loop: the oracle the fast paths are tested against.</summary>
    public static void MultiplyReference(float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[(long)i * lda + p], b[(long)p * ldb + j], sum);
                float* cij = c + (long)i * ldc + j;
                *cij = accumulate ? *cij + sum : sum;
            }
        }
    }

    // Register-blocked: 4 rows × 16 columns of C live in eight accumulators while k runs; A is
    // broadcast, B is loaded two vectors at a time. The sum for each element runs over k in order,
    // exactly like the reference (FMA per step), then is added to C once.
    private static void Multiply256(float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
    {
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            int j = 0;
            for (; j + 16 <= n; j += 16) Block4x16(c + (long)i * ldc + j, ldc, a + (long)i * lda, lda, b + j, ldb, k, accumulate);
            for (; j + 8 <= n; j += 8)
                for (int r = 0; r < 4; r++) Row8(c + (long)(i + r) * ldc + j, a + (long)(i + r) * lda, b + j, ldb, k, accumulate);
            if (j < n) TailColumns(c + (long)i * ldc + j, ldc, a + (long)i * lda, lda, b + j, ldb, 4, n - j, k, accumulate);
        }
        for (; i < m; i++)
        {
            int j = 0;
            for (; j + 8 <= n; j += 8) Row8(c + (long)i * ldc + j, a + (long)i * lda, b + j, ldb, k, accumulate);
            if (j < n) TailColumns(c + (long)i * ldc + j, ldc, a + (long)i * lda, lda, b + j, ldb, 1, n - j, k, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x16(float* c, int ldc, float* a, int lda, float* b, int ldb, int k, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        float* a0 = a, a1 = a + lda, a2 = a + 2L * lda, a3 = a + 3L * lda;
        for (int p = 0; p < k; p++)
        {
            float* bp = b + (long)p * ldb;
            var b0 = Vector256.Load(bp);
            var b1 = Vector256.Load(bp + 8);
            var x = Vector256.Create(a0[p]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[p]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[p]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[p]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
        }
        Store(c, c00, accumulate); Store(c + 8, c01, accumulate);
        Store(c + ldc, c10, accumulate); Store(c + ldc + 8, c11, accumulate);
        Store(c + 2L * ldc, c20, accumulate); Store(c + 2L * ldc + 8, c21, accumulate);
        Store(c + 3L * ldc, c30, accumulate); Store(c + 3L * ldc + 8, c31, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row8(float* c, float* a, float* b, int ldb, int k, bool accumulate)
    {
        Vector256<float> acc = default;
        for (int p = 0; p < k; p++) acc = Vector256.FusedMultiplyAdd(Vector256.Create(a[p]), Vector256.Load(b + (long)p * ldb), acc);
        Store(c, acc, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> sum, bool accumulate)
        => (accumulate ? Vector256.Load(c) + sum : sum).Store(c);

    private static void Multiply128(float* c, int ldc, float* a, int lda, float* b, int ldb, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            float* ci = c + (long)i * ldc, ai = a + (long)i * lda;
            int j = 0;
            for (; j + 8 <= n; j += 8)
            {
                Vector128<float> acc0 = default, acc1 = default;
                for (int p = 0; p < k; p++)
                {
                    var x = Vector128.Create(ai[p]);
                    float* bp = b + (long)p * ldb + j;
                    acc0 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp), acc0);
                    acc1 = Vector128.FusedMultiplyAdd(x, Vector128.Load(bp + 4), acc1);
                }
                (accumulate ? Vector128.Load(ci + j) + acc0 : acc0).Store(ci + j);
                (accumulate ? Vector128.Load(ci + j + 4) + acc1 : acc1).Store(ci + j + 4);
            }
            if (j < n) TailColumns(ci + j, ldc, ai, lda, b + j, ldb, 1, n - j, k, accumulate);
        }
    }

    // Columns left over after the vector blocks: the reference loop on a small strip.
    private static void TailColumns(float* c, int ldc, float* a, int lda, float* b, int ldb, int rows, int cols, int k, bool accumulate)
        => MultiplyReference(c, ldc, a, lda, b, ldb, rows, cols, k, accumulate);

    /// <summary><c>dst[cols, rows] = src[rows, cols]ᵀ</c> (row strides given).</summary>
    public static void Transpose(float* dst, int ldd, float* src, int lds, int rows, int cols)
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
                        dst[(long)j * ldd + i] = src[(long)i * lds + j];
            }
        }
    }
}
