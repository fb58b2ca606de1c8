using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using CharLstm.Numerics;

namespace CharLstm.Tests.Numerics;

/// <summary>The multiply's blocks come from the machine's caches: the rule, and where the cache sizes are read.</summary>
public sealed class MatMulBlockingTests
{
    private const long K = 1024, M = 1024 * 1024;

    [Theory]
    [InlineData(48 * K, 1 * M, 32 * M, 384, 1024)] // Zen 5: the blocking the kernels were tuned with
    [InlineData(32 * K, 512 * K, 16 * M, 384, 1024)] // Zen 2 and 3, Intel client cores: 384 measured better than 256
    [InlineData(128 * K, 4 * M, 8 * M, 384, 1024)] // a large L1 (Apple M1): nothing above 384 was measured
    [InlineData(16 * K, 256 * K, 8 * M, 192, 1024)] // a small L1 shortens the k blocks
    [InlineData(8 * K, 128 * K, 256 * K, 128, 256)] // a tiny core: the floor, and a small L3 shortens the column blocks
    public void Blocks_follow_the_caches(long l1, long l2, long l3, int depth, int columns)
    {
        var blocking = MatMulBlocking.For(new CacheSizes(l1, l2, l3, "test"));
        Assert.Equal((depth, 96, columns), (blocking.Depth, blocking.Rows, blocking.Columns));
        // The invariants the driver relies on: whole panels per column block, a depth the scratch was sized for.
        Assert.Equal(0, blocking.Columns % PackedMatrix.Width);
        Assert.Equal(0, blocking.Rows % MatMul.TileRows);
        Assert.True(blocking.Depth * PackedMatrix.Width * sizeof(float) <= Math.Max(l1 * 3 / 4, 128 * PackedMatrix.Width * sizeof(float)));
    }

    [Fact]
    public void Linux_sysfs_cache_folders_are_read_by_level_and_type()
    {
        using var folder = new TempFolder();
        void Index(int i, int level, string type, string size)
        {
            string d = Directory.CreateDirectory(Path.Combine(folder.Path, $"index{i}")).FullName;
            File.WriteAllText(Path.Combine(d, "level"), $"{level}\n");
            File.WriteAllText(Path.Combine(d, "type"), $"{type}\n");
            File.WriteAllText(Path.Combine(d, "size"), $"{size}\n");
        }
        Index(0, 1, "Data", "48K");
        Index(1, 1, "Instruction", "32K");
        Index(2, 2, "Unified", "1024K");
        Index(3, 3, "Unified", "32M");
        Assert.Equal(new CacheSizes(48 * K, 1 * M, 32 * M, "sysfs"), CacheSizes.FromSysfs(folder.Path));
        Assert.Null(CacheSizes.FromSysfs(Path.Combine(folder.Path, "absent")));
    }

    [Fact]
    public void The_machine_caches_agree_with_what_the_C_library_reports()
    {
        var caches = CacheSizes.Machine;
        TestContext.Current.SendDiagnosticMessage($"{RuntimeInformation.ProcessArchitecture}: {MatMulBlocking.Machine}");
        Assert.Equal(MatMulBlocking.For(caches), MatMulBlocking.Machine);
        Assert.Equal(MatMulBlocking.Machine.Depth, MatMul.DepthBlock);
        Assert.Equal(MatMulBlocking.Machine.Columns, MatMul.ColumnBlock);
        // With hardware intrinsics switched off (DOTNET_EnableHWIntrinsic=0) there is no CPUID: without sysfs, the default.
        if (!X86Base.IsSupported && !Directory.Exists("/sys/devices/system/cpu/cpu0/cache")) Assert.Equal("default", caches.Source);
        // glibc's getconf reads the same sysfs files or CPUID leaves: the two must agree on the L1 data cache.
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported || !File.Exists("/usr/bin/getconf")) return;
        var start = new ProcessStartInfo("/usr/bin/getconf", "LEVEL1_DCACHE_SIZE") { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        if (long.TryParse(text, out long l1) && l1 > 0) Assert.Equal(l1, caches.L1Data);
        Assert.NotEqual("default", caches.Source);
    }
}
