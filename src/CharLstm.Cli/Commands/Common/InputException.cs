namespace CharLstm.Cli.Commands.Common;

/// <summary>A problem with the user's input, reported with exit code 1.</summary>
internal sealed class InputException(string message) : Exception(message);
