using System.CommandLine.Help;
using CharLstm.Cli.Commands.Bench;
using CharLstm.Cli.Commands.Eval;
using CharLstm.Cli.Commands.Export;
using CharLstm.Cli.Commands.Generate;
using CharLstm.Cli.Commands.Import;
using CharLstm.Cli.Commands.Inspect;
using CharLstm.Cli.Commands.Serve;
using CharLstm.Cli.Commands.Train;

namespace CharLstm.Cli;

/// <summary>The verbs of <c>charlstm</c>; each lives in its own folder under Commands/.</summary>
public static class Program
{
    /// <summary>The command tree (also used by tests to validate the help examples).</summary>
    public static Command BuildRoot()
    {
        // A plain command named charlstm, not a RootCommand: that one takes its name, shown in every usage line, from
        // the assembly that runs (CharLstm.Cli).
        var root = new Command(Name, "charlstm: train a character-level LSTM on any text, then generate from it.")
        {
            Options = { new HelpOption(), new VersionOption() },
        };
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        CommandLineText.LowercaseEnums(root);
        return root;
    }

    /// <summary>The tool's name, as a user types it.</summary>
    public const string Name = "charlstm";

    public static int Main(string[] args)
    {
        // Every message is English, whatever the machine's language (System.CommandLine would translate its own).
        System.Globalization.CultureInfo.DefaultThreadCurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
        System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Bad command lines get exit code 2, the verb, and a pointer to its help; never a stack trace.
            var command = parse.CommandResult.Command;
            string name = command.Name == Name ? Name : $"{Name} {command.Name}";
            foreach (string error in CommandLineText.Describe(parse.Errors, command)) Console.Error.WriteLine($"{name}: error: {error}");
            Console.Error.WriteLine($"Run '{name} --help' for the options and examples.");
            return ExitCodes.BadUsage;
        }
        return parse.Invoke();
    }
}
