using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace CharLstm.Numerics;

/// <summary>
/// The data caches of one core, in bytes, and where the figures came from: Linux's sysfs, the x86
/// processor itself (CPUID), or <c>default</c> when neither answers (then a small core's caches are
/// assumed, so blocks sized from them still fit a bigger one).
/// </summary>
public sealed record CacheSizes(long L1Data, long L2, long L3, string Source)
{
    /// <summary>Assumed when nothing reports the caches: 32 KB L1d, 512 KB L2, 4 MB L3.</summary>
    public static CacheSizes Default { get; } = new(32 * 1024, 512 * 1024, 4 * 1024 * 1024, "default");

    /// <summary>This machine's caches, read once.</summary>
    public static CacheSizes Machine { get; } = Detect();

    private static CacheSizes Detect()
    {
        try
        {
            return FromSysfs("/sys/devices/system/cpu/cpu0/cache") ?? FromCpuid() ?? Default;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return Default;
        }
    }

    /// <summary>Linux: <c>index*/level</c>, <c>type</c> and <c>size</c> ("48K") under <paramref name="folder"/>; null when absent.</summary>
    internal static CacheSizes? FromSysfs(string folder)
    {
        if (!Directory.Exists(folder)) return null;
        long l1 = 0, l2 = 0, l3 = 0;
        foreach (string index in Directory.EnumerateDirectories(folder, "index*"))
        {
            string Read(string name) => File.Exists(Path.Combine(index, name)) ? File.ReadAllText(Path.Combine(index, name)).Trim() : "";
            string type = Read("type"), size = Read("size");
            if (type == "Instruction" || size.Length == 0 || !int.TryParse(Read("level"), CultureInfo.InvariantCulture, out int level)) continue;
            long bytes = ParseSize(size);
            if (level == 1) l1 = bytes;
            else if (level == 2) l2 = bytes;
            else if (level == 3) l3 = bytes;
        }
        return Found(l1, l2, l3, "sysfs");
    }

    // "48K", "1024K", "32M", or plain bytes.
    internal static long ParseSize(string text)
    {
        long unit = text[^1] switch { 'K' or 'k' => 1024, 'M' or 'm' => 1024 * 1024, 'G' or 'g' => 1024 * 1024 * 1024, _ => 1 };
        return long.Parse(unit == 1 ? text : text[..^1], NumberStyles.None, CultureInfo.InvariantCulture) * unit;
    }

    /// <summary>
    /// x86: the deterministic cache parameters, CPUID leaf 4 (Intel) or 0x8000001D (AMD): per cache its
    /// type, level, ways, partitions, line size and sets. AMD's older leaves 0x80000005 and 0x80000006 (the
    /// sizes in KB) when 0x8000001D is absent or empty, as virtual machines often leave it. Null on other
    /// processors.
    /// </summary>
    private static CacheSizes? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        var (maxLeaf, b, c, d) = X86Base.CpuId(0, 0);
        bool amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163; // "AuthenticAMD"
        uint maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        if (amd)
        {
            if (maxExtended >= 0x8000001D && FromParameterLeaf(unchecked((int)0x8000001D)) is { } sizes) return sizes;
            if (maxExtended < 0x80000006) return null;
            long l1 = (long)((uint)X86Base.CpuId(unchecked((int)0x80000005), 0).Ecx >> 24) * 1024;
            var (_, _, l2Info, l3Info) = X86Base.CpuId(unchecked((int)0x80000006), 0);
            long l2 = (long)((uint)l2Info >> 16) * 1024, l3 = (long)((uint)l3Info >> 18) * 512 * 1024;
            return Found(l1, l2, l3, "cpuid");
        }
        return maxLeaf >= 4 ? FromParameterLeaf(4) : null;
    }

    // Leaf 4 and 0x8000001D share a layout: EAX type (0 none, 1 data, 2 instruction, 3 unified) and level,
    // EBX ways, partitions and line size, ECX sets, each stored minus one.
    private static CacheSizes? FromParameterLeaf(int leaf)
    {
        long l1 = 0, l2 = 0, l3 = 0;
        for (int sub = 0; sub < 16; sub++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(leaf, sub);
            int type = eax & 0x1F, level = (eax >> 5) & 0x7;
            if (type == 0) break;
            if (type == 2) continue;
            long bytes = (long)(((ebx >> 22) & 0x3FF) + 1) * (((ebx >> 12) & 0x3FF) + 1) * ((ebx & 0xFFF) + 1) * ((long)(uint)ecx + 1);
            if (level == 1) l1 = bytes;
            else if (level == 2) l2 = bytes;
            else if (level == 3) l3 = bytes;
        }
        return Found(l1, l2, l3, "cpuid");
    }

    // The sizes read, when they name at least an L1d and an L2; a machine without an L3 reports its L2 there.
    private static CacheSizes? Found(long l1, long l2, long l3, string source) =>
        l1 > 0 && l2 > 0 ? new CacheSizes(l1, l2, l3 > 0 ? l3 : l2, source) : null;
}
