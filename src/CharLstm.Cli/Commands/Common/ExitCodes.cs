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
    /// <summary>Stopped by SIGTERM (timeout, docker stop, systemd, Slurm) after saving: 128 + SIGTERM.</summary>
    public const int Terminated = 143;
}
