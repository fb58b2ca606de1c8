using BenchmarkDotNet.Running;

namespace CharLstm.Benchmarks;

internal static class Program
{
    // dotnet run -c Release --project bench/CharLstm.Benchmarks -- --filter "*Generation*"   (--list flat lists them)
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
