using System.Runtime;

namespace CharLstm.Tests.Support;

/// <summary>Warm-up for the allocation tests: run the work until the JIT has gone quiet.</summary>
internal static class JitSettling
{
    /// <summary>
    /// Runs <paramref name="window"/> (which returns the bytes it allocated) until a window allocates
    /// nothing and no method was compiled during it or in the pause after it. The pause outlasts
    /// tiered compilation's 100 ms call-counting delay, so promotions that the window triggered have
    /// been compiled by then; a window that allocates nothing but compiled something is start-up, and
    /// a later one could still see an on-stack replacement or a tier-1 recompilation land on its
    /// thread (the suite once saw 4,904 and 7,048 bytes that way in 2,000 characters).
    /// </summary>
    public static void Wait(Func<long> window, int maxWindows = 40)
    {
        for (int i = 0; i < maxWindows; i++)
        {
            long compiled = JitInfo.GetCompiledMethodCount();
            long allocated = window();
            Thread.Sleep(150);
            if (allocated == 0 && JitInfo.GetCompiledMethodCount() == compiled) return;
        }
    }
}
