using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using CharLstm.Numerics;

namespace CharLstm.Tests.Numerics;

/// <summary>Every path of the matrix multiply against its scalar reference, bit for bit, over shapes that hit every block and tail path, every kernel level and thread count.</summary>
public sealed unsafe class MatMulTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        int[] ms = [0, 1, 2, 3, 4, 5, 7, 8, 10, 13, 14];
        int[] ns = [0, 1, 7, 8, 9, 15, 16, 17, 33, 64];
        int[] ks = [0, 1, 2, 5, 31];
        foreach (int m in ms) foreach (int n in ns) foreach (int k in ks) data.Add(m, n, k);
        return data;
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Mat_mul_fast_path_equals_reference_bit_for_bit(int m, int n, int k)
    {
        // Strides wider than the rows, so stride handling is checked too.
        int lda = k + 3, ldb = n + 2, ldc = n + 1;
        var a = RandomData.Uniform(Math.Max(1, m * lda), 1); var b = RandomData.Uniform(Math.Max(1, k * ldb), 2);
        foreach (bool accumulate in new[] { false, true })
        {
            var fast = RandomData.Uniform(Math.Max(1, m * ldc), 3); var slow = (float[])fast.Clone();
            fixed (float* pa = a, pb = b, pf = fast, ps = slow)
            {
                MatMul.Multiply(MatMul.CallerTeam, new MatrixView(pf, m, n, ldc), new MatrixView(pa, m, k, lda), new MatrixView(pb, k, n, ldb), accumulate);
                MatMul.MultiplyReference(new MatrixView(ps, m, n, ldc), new MatrixView(pa, m, k, lda), new MatrixView(pb, k, n, ldb), accumulate);
            }
            Assert.Equal(slow, fast);
        }
    }

    [Theory]
    [InlineData(50, 520, 130)]
    [InlineData(64, 100, 400)]
    [InlineData(96, 33, 17)]
    [InlineData(97, 40, 9)]
    [InlineData(7, 1040, 5)]
    public void Unpacked_b_on_a_team_equals_reference_bit_for_bit(int m, int n, int k)
    {
        // B row-major, not packed by the caller: packed panel by panel on the fly (m ≤ 96 rows) or
        // whole (more rows), on teams that split columns or rows.
        int lda = k + 1, ldb = n + 3, ldc = n + 2;
        var a = RandomData.Uniform(m * lda, 21); var b = RandomData.Uniform(k * ldb, 22);
        foreach (bool accumulate in new[] { false, true })
        {
            var expected = RandomData.Uniform(m * ldc, 23);
            var start = (float[])expected.Clone();
            fixed (float* pa = a, pb = b, pe = expected) MatMul.MultiplyReference(new MatrixView(pe, m, n, ldc), new MatrixView(pa, m, k, lda), new MatrixView(pb, k, n, ldb), accumulate);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                using var team = new ThreadTeam(threads);
                var actual = (float[])start.Clone();
                fixed (float* pa = a, pb = b, pc = actual) MatMul.Multiply(team, new MatrixView(pc, m, n, ldc), new MatrixView(pa, m, k, lda), new MatrixView(pb, k, n, ldb), accumulate);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{threads} threads, accumulate {accumulate}");
            }
        }
    }

    public static TheoryData<int, int, int, bool> PackedShapes()
    {
        // Rows around the 6-row tile, the 4-row tail tiles (every remainder mod 6: 32 = 4·6 + 2·4,
        // 50, 64 = 10·6 + 4) and the 96-row block, columns around the 16-column panel and the
        // 1024-column block, depth past the 384-deep block (also with whole tiles of few rows, where
        // the kernel reads A in place at each k-block's offset); A as given and as its transpose.
        // With Vector512, neighbouring whole tiles of one height go in pairs (12 or 8 rows: 32 rows are
        // two 12-row pairs and an 8-row pair, 50 three 12-row pairs, a lone 6-row tile and an 8-row
        // pair), on two whole panels at once where there are two (n = 33, 48, 65, 272, 512, 1040; and
        // per member with 2 and 3 threads) or on one (n = 16, 17, 20), and edge tiles through the
        // Vector256 kernel.
        var data = new TheoryData<int, int, int, bool>();
        foreach (var (m, n, k) in new[] { (1, 1, 1), (5, 17, 3), (6, 16, 7), (7, 33, 64), (13, 65, 257), (150, 40, 9), (20, 272, 300), (64, 512, 128), (9, 40, 800), (7, 1040, 5), (32, 48, 20), (50, 33, 17), (2, 16, 9), (10, 17, 6), (97, 20, 4), (195, 17, 3), (64, 40, 800), (32, 33, 900) })
            foreach (bool transposed in new[] { false, true })
                data.Add(m, n, k, transposed);
        return data;
    }

    [Fact]
    public void Tile_plan_covers_every_row_with_the_fewest_padded_rows()
    {
        for (int mc = 1; mc <= MatMul.RowBlock; mc++)
        {
            var (wide, narrow) = MatMul.TilePlan(mc);
            int rows = wide * MatMul.TileRows + narrow * MatMul.NarrowRows;
            int fewest = int.MaxValue;
            for (int w = 0; w <= mc / MatMul.TileRows + 1; w++)
                for (int q = 0; q <= 2; q++)
                {
                    int r = w * MatMul.TileRows + q * MatMul.NarrowRows;
                    if (r >= mc) fewest = Math.Min(fewest, r);
                }
            Assert.True(rows >= mc && rows == fewest && rows <= (mc + MatMul.TileRows - 1) / MatMul.TileRows * MatMul.TileRows, $"mc {mc}: {wide}×6 + {narrow}×4");
        }
    }

    [Theory, MemberData(nameof(PackedShapes))]
    public void Packed_multiply_every_kernel_level_and_thread_count_equals_reference_bit_for_bit(int m, int n, int k, bool transposedA)
    {
        // A (m, k) read in place (row stride lda) or from its transpose (k, m) (k stride lda).
        int lda = transposedA ? m + 3 : k + 3, ldb = n + 2, ldc = n + 1;
        int rowStride = transposedA ? 1 : lda, depthStride = transposedA ? lda : 1;
        var a = RandomData.Uniform((transposedA ? k : m) * lda, 11);
        var b = RandomData.Uniform(k * ldb, 12);
        var packed = new PackedMatrix();
        fixed (float* pb = b) packed.Pack(MatMul.CallerTeam, new MatrixView(pb, k, n, ldb));
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) Assert.Equal(b[p * ldb + j], packed[p, j]);
        foreach (bool accumulate in new[] { false, true })
        {
            var start = RandomData.Uniform(m * ldc, 13);
            var expected = (float[])start.Clone();
            fixed (float* pa = a, pb = b, pe = expected) MatMul.MultiplyReference(new MatrixView(pe, m, n, ldc), new MatrixView(pa, m, k, rowStride, depthStride), new MatrixView(pb, k, n, ldb), accumulate);
            foreach (var level in new[] { MatMul.Level.Scalar, MatMul.Level.Vector128, MatMul.Level.Vector256, MatMul.Level.Vector512 })
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var actual = (float[])start.Clone();
                    using var team = new ThreadTeam(threads);
                    fixed (float* pa = a, pc = actual) MatMul.Multiply(team, new MatrixView(pc, m, n, ldc), new MatrixView(pa, m, k, rowStride, depthStride), packed, accumulate, level);
                    Assert.True(expected.AsSpan().SequenceEqual(actual), $"level {level}, {threads} threads, accumulate {accumulate}");
                }
        }
    }

    [Theory]
    [InlineData(200, 37, 32, 24, true)]
    [InlineData(200, 37, 32, 24, false)]
    [InlineData(13, 400, 16, 16, true)]
    [InlineData(97, 50, 48, 1040, true)]
    [InlineData(5, 3, 16, 1, false)]
    [InlineData(130, 801, 64, 40, true)]
    public void Split_output_product_equals_the_reference_for_each_part_bit_for_bit(int m, int k, int n1, int n2, bool transposedA)
    {
        // The weight-gradient form: B = [B1 | B2] packed side by side, C's columns in two matrices.
        int lda = transposedA ? m + 3 : k + 3, ldb1 = n1 + 5, ldb2 = n2 + 2, ldc1 = n1 + 1, ldc2 = n2 + 3;
        int rowStride = transposedA ? 1 : lda, depthStride = transposedA ? lda : 1;
        var a = RandomData.Uniform((transposedA ? k : m) * lda, 21);
        var b1 = RandomData.Uniform(k * ldb1, 22);
        var b2 = RandomData.Uniform(k * ldb2, 23);
        var packed = new PackedMatrix();
        fixed (float* p1 = b1, p2 = b2) packed.PackSideBySide(MatMul.CallerTeam, new MatrixView(p1, k, n1, ldb1), new MatrixView(p2, k, n2, ldb2));
        Assert.Equal(n1 + n2, packed.N);
        for (int p = 0; p < k; p++)
        {
            for (int j = 0; j < n1; j++) Assert.Equal(b1[p * ldb1 + j], packed[p, j]);
            for (int j = 0; j < n2; j++) Assert.Equal(b2[p * ldb2 + j], packed[p, n1 + j]);
        }
        foreach (bool accumulate in new[] { false, true })
        {
            var start1 = RandomData.Uniform(m * ldc1, 24);
            var start2 = RandomData.Uniform(m * ldc2, 25);
            var expected1 = (float[])start1.Clone();
            var expected2 = (float[])start2.Clone();
            fixed (float* pa = a, p1 = b1, p2 = b2, e1 = expected1, e2 = expected2)
            {
                MatMul.MultiplyReference(new MatrixView(e1, m, n1, ldc1), new MatrixView(pa, m, k, rowStride, depthStride), new MatrixView(p1, k, n1, ldb1), accumulate);
                MatMul.MultiplyReference(new MatrixView(e2, m, n2, ldc2), new MatrixView(pa, m, k, rowStride, depthStride), new MatrixView(p2, k, n2, ldb2), accumulate);
            }
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var actual1 = (float[])start1.Clone();
                var actual2 = (float[])start2.Clone();
                using var team = new ThreadTeam(threads);
                fixed (float* pa = a, c1 = actual1, c2 = actual2)
                    MatMul.MultiplySplit(team, new MatrixView(c1, m, n1, ldc1), new MatrixView(c2, m, n2, ldc2), new MatrixView(pa, m, k, rowStride, depthStride), packed, accumulate);
                Assert.True(expected1.AsSpan().SequenceEqual(actual1), $"first part, {threads} threads, accumulate {accumulate}");
                Assert.True(expected2.AsSpan().SequenceEqual(actual2), $"second part, {threads} threads, accumulate {accumulate}");
            }
        }
    }

    [Fact]
    public void Split_output_product_and_side_by_side_pack_refuse_a_split_inside_a_panel()
    {
        var b = new float[4 * 40];
        var packed = new PackedMatrix();
        fixed (float* pb = b)
        {
            float* p = pb;
            Assert.Throws<ArgumentOutOfRangeException>(() => packed.PackSideBySide(MatMul.CallerTeam, new MatrixView(p, 4, 20, 40), new MatrixView(p, 4, 20, 40)));
            packed.PackSideBySide(MatMul.CallerTeam, new MatrixView(p, 4, 16, 40), new MatrixView(p, 4, 24, 40));
            var c = new float[40];
            fixed (float* pc = c)
            {
                float* q = pc;
                Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.MultiplySplit(MatMul.CallerTeam, new MatrixView(q, 1, 8, 40), new MatrixView(q, 1, 32, 40), new MatrixView(p, 1, 4, 4), packed, false));
                Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.MultiplySplit(MatMul.CallerTeam, new MatrixView(q, 1, 40, 40), new MatrixView(q, 1, 0, 40), new MatrixView(p, 1, 4, 4), packed, false));
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 16)]
    [InlineData(64, 64)]
    [InlineData(100, 65)]
    [InlineData(33, 200)]
    [InlineData(40, 48)] // three panels: two at once, then one
    public void Vector_times_packed_matrix_equals_reference_bit_for_bit(int k, int n)
    {
        var x = RandomData.Uniform(k, 21);
        var w = RandomData.Uniform(n * k, 22); // W (n, k): B = Wᵀ
        var packed = new PackedMatrix();
        fixed (float* pw = w) packed.Pack(MatMul.CallerTeam, MatrixView.Dense(pw, n, k).Transposed);
        var start = RandomData.Uniform(n, 23);
        var expected = (float[])start.Clone();
        var wT = new float[k * n];
        fixed (float* pw = w, pt = wT) MatMul.Transpose(MatrixView.Dense(pt, k, n), MatrixView.Dense(pw, n, k));
        fixed (float* px = x, pt = wT, pe = expected) MatMul.MultiplyReference(MatrixView.Dense(pe, 1, n), MatrixView.Dense(px, 1, k), MatrixView.Dense(pt, k, n), accumulate: true);
        foreach (var level in new[] { MatMul.Level.Scalar, MatMul.Level.Vector128, MatMul.Level.Vector256, MatMul.Level.Vector512 })
        {
            var actual = (float[])start.Clone();
            // Two halves on panel boundaries, as two threads would split it.
            int half = n / 2 / PackedMatrix.Width * PackedMatrix.Width;
            fixed (float* px = x, pa = actual)
            {
                MatMul.MultiplyVector(pa, px, packed, 0, half, accumulate: true, level);
                MatMul.MultiplyVector(pa, px, packed, half, n, accumulate: true, level);
            }
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"level {level}");
        }
    }

    [Fact]
    public void The_widest_level_is_the_one_the_processor_has()
    {
        // The level every product and generation step runs at comes from the hardware: on ARM64 (NEON) the 128-bit
        // kernels, whose fused multiply-adds the bit-for-bit tests above compare with the scalar reference. CI runs these
        // tests on ARM64 under qemu-user (.ci/run); this check is what shows the run did not fall back to scalar code.
        var expected = RuntimeInformation.ProcessArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.Arm64 => AdvSimd.IsSupported ? MatMul.Level.Vector128 : MatMul.Level.Scalar,
            System.Runtime.InteropServices.Architecture.X64 => !Sse2.IsSupported ? MatMul.Level.Scalar : !Avx2.IsSupported ? MatMul.Level.Vector128
                // .NET leaves Vector512 unaccelerated on CPUs whose clock drops under 512-bit work, AVX-512 or not.
                : Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? MatMul.Level.Vector512 : MatMul.Level.Vector256,
            _ => MatMul.BestLevel,
        };
        TestContext.Current.SendDiagnosticMessage($"{RuntimeInformation.ProcessArchitecture}: level {MatMul.BestLevel}, "
            + $"Vector128 accelerated {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}");
        Assert.Equal(expected, MatMul.BestLevel);
    }

    [Fact]
    public void Transpose_is_exact()
    {
        var src = RandomData.Uniform(37 * 70, 4); var dst = new float[70 * 37];
        fixed (float* s = src, d = dst) MatMul.Transpose(MatrixView.Dense(d, 70, 37), MatrixView.Dense(s, 37, 70));
        for (int i = 0; i < 37; i++) for (int j = 0; j < 70; j++) Assert.Equal(src[i * 70 + j], dst[j * 37 + i]);
        var start = RandomData.Uniform(70 * 37, 5); var sum = (float[])start.Clone();
        fixed (float* s = src, d = sum) MatMul.Transpose(MatrixView.Dense(d, 70, 37), MatrixView.Dense(s, 37, 70), accumulate: true);
        for (int i = 0; i < 37; i++) for (int j = 0; j < 70; j++) Assert.Equal(start[j * 37 + i] + src[i * 70 + j], sum[j * 37 + i]);
    }
}
