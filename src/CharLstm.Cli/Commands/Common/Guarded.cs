using CharLstm.Data;
using CharLstm.IO;

namespace CharLstm.Cli.Commands.Common;

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
        catch (ArgumentException e) when (e.GetType() == typeof(ArgumentException)) { return Fail(verb, ErrorText.Reason(e) + ".", ExitCodes.BadUsage); }
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
