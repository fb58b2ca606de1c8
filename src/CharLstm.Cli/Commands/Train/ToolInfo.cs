namespace CharLstm.Cli.Commands.Train;

internal static class ToolInfo
{
    public static string Version { get; } = typeof(CharLanguageModel).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
