using CharLstm.Data;
using CharLstm.IO;

namespace CharLstm.Cli.Commands.Common;

/// <summary>Exit codes shared by every verb.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Bad input: a corpus, model or text that cannot be used.</summary>
    public const int BadInput = 1;
    /// <summary>Bad command line: an unknown option or a value out of range.</summary>
    public const int BadUsage = 2;
    /// <summary>Interrupted by Ctrl-C (128 + SIGINT).</summary>
    public const int Interrupted = 130;
}

/// <summary>A bad option value, reported with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A problem with the user's input, reported with exit code 1.</summary>
internal sealed class InputException(string message) : Exception(message);

/// <summary>Runs a verb's body and turns the failures a user can fix into a message and an exit code — never a stack trace.</summary>
internal static class Guarded
{
    public static int Run(string verb, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e) { return Fail(verb, e.Message, ExitCodes.BadUsage); }
        catch (ArgumentException e) when (e.GetType() == typeof(ArgumentException)) { return Fail(verb, e.Message, ExitCodes.BadUsage); }
        catch (InputException e) { return Fail(verb, e.Message, ExitCodes.BadInput); }
        catch (CorpusException e) { return Fail(verb, e.Message, ExitCodes.BadInput); }
        catch (ModelFormatException e) { return Fail(verb, e.Message, ExitCodes.BadInput); }
        catch (InvalidOperationException e) when (e.Source == "CharLstm") { return Fail(verb, e.Message, ExitCodes.BadInput); }
        catch (IOException e) { return Fail(verb, e.Message, ExitCodes.BadInput); }
        catch (UnauthorizedAccessException e) { return Fail(verb, e.Message, ExitCodes.BadInput); }
    }

    private static int Fail(string verb, string message, int code)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"charlstm {verb}: error: {message}");
        if (code == ExitCodes.BadUsage) Console.Error.WriteLine($"Run 'charlstm {verb} --help' for the options and examples.");
        return code;
    }
}
