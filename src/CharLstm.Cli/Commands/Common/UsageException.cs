namespace CharLstm.Cli.Commands.Common;

/// <summary>A bad option value, reported with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
