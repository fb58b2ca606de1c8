namespace CharLstm.Numerics;

/// <summary>
/// How the multiply cuts a product into cache-sized blocks (docs/engine.md): k blocks of
/// <paramref name="Depth"/>, row blocks of <paramref name="Rows"/> and column blocks of
/// <paramref name="Columns"/>, chosen once from the machine's <paramref name="Caches"/>. Blocking never
/// changes a result's bits: each element's chain of multiply-adds runs through C from one k block to the next.
/// </summary>
public sealed record MatMulBlocking(int Depth, int Rows, int Columns, CacheSizes Caches)
{
    /// <summary>The blocking every product on this machine uses.</summary>
    public static MatMulBlocking Machine { get; } = For(CacheSizes.Machine);

    /// <summary>
    /// The rule, from docs/engine.md's measurements. Depth: one 16-column panel of B (Depth × 64 bytes)
    /// takes up to three quarters of the L1d and stays there while the row tiles stream past; at most 384,
    /// which beat 256 on a 32 KB L1d (Zen 3) and matched it on 48 KB (Zen 5), where nothing larger was
    /// measured; a multiple of 32, at least 128 (16 KB L1d: 192). Rows: 96, a multiple of the 6-row tile;
    /// a 96 × Depth block of A (at most 144 KB) stays in any L2 of 256 KB or more. Columns: 1024, fewer
    /// only when a Depth × Columns block of B would take more than half the L3.
    /// </summary>
    public static MatMulBlocking For(CacheSizes caches)
    {
        ArgumentNullException.ThrowIfNull(caches);
        int depth = (int)Math.Clamp(caches.L1Data * 3 / 4 / (PackedMatrix.Width * sizeof(float)) / 32 * 32, 128, 384);
        int columns = (int)Math.Clamp(caches.L3 / 2 / (depth * sizeof(float)) / PackedMatrix.Width * PackedMatrix.Width, 256, 1024);
        return new MatMulBlocking(depth, 96, columns, caches);
    }

    /// <summary>One line for logs and reports: the blocks and the caches they came from.</summary>
    public override string ToString() =>
        $"k {Depth}, rows {Rows}, columns {Columns} (L1d {Caches.L1Data / 1024} KB, L2 {Caches.L2 / 1024} KB, L3 {Caches.L3 / 1024} KB from {Caches.Source})";
}
