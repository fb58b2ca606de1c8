namespace CharLstm.Numerics;

// The register tile without SIMD: each element's chain as MultiplyReference computes it.
internal static unsafe partial class MatMul
{
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
}
