using System.Diagnostics;

namespace CharLstm.Tests.Cli;

/// <summary>
/// Messages that point somewhere, through the real CLI: parse errors in the tool's words (the verb, the option,
/// what the value should be; never a .NET type), help in lower case with the tool's name, and files that are
/// not models named for what they are.
/// </summary>
public sealed class MessageTests(TrainedRunFixture run, ITestOutputHelper output) : IClassFixture<TrainedRunFixture>
{
    private static void Plain(CliRunner.Result r)
    {
        r.AssertNoStackTrace();
        Assert.DoesNotContain("System.", r.All);
        Assert.DoesNotContain("CharLstm.Data", r.All);
        Assert.DoesNotContain("Did you mean", r.All);
        Assert.DoesNotContain("(Parameter '", r.All);
    }

    [Theory]
    [InlineData("charlstm generate: error: --seed: 'abc' is not a whole number from 0 to", "generate", "-m", "m", "--seed", "abc")]
    [InlineData("charlstm train: error: --layers: 'x' is not a whole number.", "train", "--layers", "x")]
    [InlineData("charlstm train: error: --lr: 'fast' is not a number", "train", "--lr", "fast")]
    [InlineData("charlstm train: error: --invalid-utf8: 'latin1' is not one of error, replace.", "train", "--invalid-utf8", "latin1")]
    [InlineData("charlstm eval: error: --unknown: 'drop' is not one of error, skip.", "eval", "-m", "m", "t.txt", "--unknown", "drop")]
    [InlineData("charlstm bench: error: --config: 'T9' is not one of T1, T2, T3.", "bench", "--config", "T9")]
    [InlineData("charlstm bench: error: --threads must be", "bench", "--threads", "0")]
    [InlineData("charlstm: error: name a verb: train, generate, eval, inspect, bench, serve, export, import.")]
    [InlineData("charlstm generate: error: Unrecognized command or argument '--frobnicate'", "generate", "-m", "m", "--frobnicate")]
    public void Parse_errors_name_the_verb_the_option_and_what_it_takes(string expected, params string[] args)
    {
        var r = run.Cli.Run(args);
        output.WriteLine(r.All);
        Plain(r);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.Contains("--help' for the options and examples.", r.Stderr);
    }

    [Fact]
    public void Help_uses_the_tools_name_and_lower_case_values()
    {
        var top = run.Cli.Run("--help");
        Assert.Contains("charlstm [command] [options]", top.Stdout);
        Assert.DoesNotContain("CharLstm.Cli", top.Stdout);
        Assert.Contains("Tiny Shakespeare when none is given", top.Stdout);
        var train = run.Cli.Run("train", "--help");
        Assert.Contains("charlstm train [<corpus>] [options]", train.Stdout);
        Assert.Contains("--invalid-utf8 <error|replace>", train.Stdout);
        var eval = run.Cli.Run("eval", "--help");
        Assert.Contains("--unknown <error|skip>", eval.Stdout);
        Assert.DoesNotContain("Error|", eval.Stdout);
        Assert.DoesNotContain("[default: Error]", eval.Stdout);
        Assert.Contains("Examples:", run.Cli.Run("bench", "--help").Stdout);
    }

    [Theory]
    [InlineData("model.pt", new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0 }, "zip archive, which is what torch.save writes")]
    [InlineData("model.pkl", new byte[] { 0x80, 0x02, 0x7D, 0x71, 0x00, 0x28, 0x58, 0x01, 0, 0, 0, 0x77, 0x71 }, "Python pickle")]
    [InlineData("model.gguf", new byte[] { 0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "GGUF")]
    [InlineData("model.h5", new byte[] { 0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0 }, "HDF5")]
    [InlineData("notes.txt", new byte[] { 0x52, 0x4F, 0x4D, 0x45, 0x4F, 0x3A, 0x0A, 0x42, 0x75, 0x74, 0x20, 0x73, 0x6F, 0x66, 0x74 }, "it is text")]
    [InlineData("random.bin", new byte[] { 0x9A, 0x13, 0xF0, 0x01, 0x55, 0xC3, 0x21, 0xEE, 0x07, 0x99, 0x42, 0x10 }, "damaged, truncated, or not a safetensors file")]
    public void A_file_that_is_not_a_model_is_named_for_what_it_is(string name, byte[] bytes, string expected)
    {
        File.WriteAllBytes(run.Cli.PathOf(name), bytes);
        foreach (string[] args in new[] { new[] { "inspect", name }, ["generate", "-m", name], ["eval", "-m", name, "any.txt"] })
        {
            var r = run.Cli.Run(args);
            output.WriteLine(r.All);
            Plain(r);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(expected, r.Stderr);
            Assert.DoesNotContain("MaxHeaderBytes", r.Stderr);
            if (!name.StartsWith("random", StringComparison.Ordinal)) Assert.DoesNotContain("header length", r.Stderr);
        }
    }

    [Fact]
    public void A_real_pytorch_checkpoint_is_named_as_one()
    {
        Requires.Torch();
        var psi = new ProcessStartInfo("/usr/bin/python3") { WorkingDirectory = run.Cli.Folder };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import torch; torch.save(torch.nn.LSTM(4, 8).state_dict(), 'lstm.pt')");
        using (var python = Process.Start(psi)!) python.WaitForExit();
        var r = run.Cli.Run("generate", "-m", "lstm.pt");
        Plain(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("torch.save", r.Stderr);
        Assert.Contains("tools/torch_interop.py", r.Stderr);
    }

    [Fact]
    public void A_prompt_file_that_is_not_utf8_points_to_an_option_generate_has()
    {
        File.WriteAllBytes(run.Cli.PathOf("latin1.txt"), [0x74, 0x68, 0x65, 0x20, 0xE9, 0x74, 0xE9]);
        var r = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "latin1.txt");
        Plain(r);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("byte offset 4", r.Stderr);
        Assert.Contains("--invalid-utf8 replace", r.Stderr);
        var replaced = run.Cli.Run("generate", "-m", run.RunFolder, "--prompt-file", "latin1.txt", "--invalid-utf8", "replace", "--unknown", "skip",
            "--length", "5", "--seed", "1");
        Assert.Equal(0, replaced.ExitCode);
    }

    [Fact]
    public async Task Eval_reads_a_url_as_its_message_offers()
    {
        string text = run.Cli.WriteCorpus("remote.txt", sentences: 30, seed: 4);
        await using var server = new LoopbackHttpServer(_ => new LoopbackResponse(200, File.ReadAllBytes(text)));
        var remote = run.Cli.Run("eval", "-m", run.RunFolder, server.Url("remote.txt").ToString(), "--json");
        output.WriteLine(remote.All);
        Assert.Equal(0, remote.ExitCode);
        var local = run.Cli.Run("eval", "-m", run.RunFolder, "remote.txt", "--json");
        Assert.Equal(local.Stdout.Replace("remote.txt", "X"), remote.Stdout.Replace(server.Url("remote.txt").ToString(), "X"));
        Assert.Equal(1, server.RequestCount);
    }
}
