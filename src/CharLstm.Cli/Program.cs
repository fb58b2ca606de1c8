using CharLstm.Cli.Commands.Bench;
using CharLstm.Cli.Commands.Eval;
using CharLstm.Cli.Commands.Generate;
using CharLstm.Cli.Commands.Inspect;
using CharLstm.Cli.Commands.Train;

namespace CharLstm.Cli;

/// <summary>The verbs of <c>charlstm</c>; each lives in its own folder under Commands/.</summary>
public static class Program
{
    /// <summary>The command tree (also used by tests to validate the help examples).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("charlstm: train a character-level LSTM on any text, then generate from it.");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }

    public static int Main(string[] args)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad command lines get exit code 2 and a pointer to the help, never a stack trace.
            string verb = parse.CommandResult.Command.Name;
            foreach (var error in parse.Errors) Console.Error.WriteLine($"charlstm: error: {error.Message}");
            Console.Error.WriteLine($"Run '{(verb == "charlstm" || parse.CommandResult.Command is RootCommand ? "charlstm" : "charlstm " + verb)} "
                + $"--help' for usage and examples.");
            return ExitCodes.BadUsage;
        }
        return parse.Invoke();
    }
}
