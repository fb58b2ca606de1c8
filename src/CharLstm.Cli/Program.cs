using System.CommandLine;
using CharLstm.Cli.Commands.Bench;

namespace CharLstm.Cli;

internal static class Program
{
    // Perf branch only: the bench verb, so the side-by-side runner can call it. main's Program.cs wins on merge.
    private static int Main(string[] args) => new RootCommand("charlstm") { BenchCommand.Create() }.Parse(args).Invoke();
}
