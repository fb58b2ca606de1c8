namespace CharLstm.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("charlstm: verbs are not wired yet.");
        return 2;
    }
}
