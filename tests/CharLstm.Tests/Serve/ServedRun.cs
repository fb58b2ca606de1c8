namespace CharLstm.Tests.Serve;

/// <summary>
/// One tiny run trained once with the real CLI for every serve test: a run folder with best.safetensors and
/// metrics.csv (the playground's loss curve), and the corpus it learned from. Kept until the test process ends.
/// </summary>
internal static class ServedRun
{
    private static readonly Lazy<(CliRunner Cli, string Folder)> Trained = new(() =>
    {
        var cli = new CliRunner();
        string corpus = cli.WriteCorpus();
        var result = cli.Run("train", corpus, "--layers", "1", "--hidden", "16", "--batch", "4", "--seq-len", "16", "--max-steps", "4",
            "--eval-interval", "2", "--sample-length", "0", "--plain", "--out", cli.PathOf("run"));
        Assert.True(result.ExitCode == 0, result.All);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cli.Dispose();
        return (cli, cli.PathOf("run"));
    });

    /// <summary>The run folder (best.safetensors, metrics.csv).</summary>
    public static string Folder => Trained.Value.Folder;

    public static string ModelFile => Path.Combine(Folder, "best.safetensors");

    // Made once: test classes run in parallel, and two copying at once collided ("already exists").
    private static readonly Lazy<string> Lone = new(() =>
    {
        string lone = Trained.Value.Cli.PathOf("lone.safetensors");
        File.Copy(ModelFile, lone);
        return lone;
    });

    /// <summary>A second copy of the model outside any run folder (no metrics.csv beside it).</summary>
    public static string LoneModelFile => Lone.Value;
}
