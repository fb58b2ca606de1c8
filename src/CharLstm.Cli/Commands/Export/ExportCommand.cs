using System.Globalization;
using CharLstm.Interop;

namespace CharLstm.Cli.Commands.Export;

/// <summary><c>charlstm export</c>: a trained model in another tool's format (ONNX for now).</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model file, or a training output folder (uses best.safetensors)." };
        var format = new Option<ExportFormat?>("--format", "-f")
        {
            Description = "The format to write: onnx (an ONNX graph for ONNX Runtime and other ONNX tools).",
            Required = true,
        };
        var output = new Option<string>("--output", "-o") { Description = "The file to write (its folder must exist).", Required = true };
        var graph = new Option<OnnxGraph?>("--graph")
        {
            Description = "onnx: sequence (ids [T, B], the default) to score or read text in one call, or step (ids [1, B]) for a "
                + "generation loop that feeds one character per call.",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the --output file if it exists." };
        var command = new Command("export", $"""
            Write a trained model in another tool's format. onnx: an ONNX graph (opset {OnnxExport.Opset}) that ONNX Runtime
            runs: ids [T, B] (int64) and the state h0, c0 [layers, B, hidden] in, logits [T, B, vocabulary] and the state
            hN, cN out; the vocabulary and the model's settings are in its metadata. docs/interop.md shows how to run it.

            Examples:
              charlstm export runs/tinyshakespeare --format onnx -o shakespeare.onnx
              charlstm export runs/tinyshakespeare/best.safetensors --format onnx --graph step -o shakespeare-step.onnx
              charlstm export model.safetensors --format onnx -o model.onnx --overwrite
            """);
        command.Arguments.Add(model);
        foreach (var o in new Option[] { format, output, graph, overwrite }) command.Options.Add(o);
        command.SetAction(r => Guarded.Run("export", () =>
        {
            string source = ModelLocator.Resolve(r.GetValue(model)!);
            string target = CheckOutput(r.GetValue(output)!, source, r.GetValue(overwrite));
            // One format so far; --format is a choice so that the next one is a value, not a new verb.
            return r.GetValue(format) switch
            {
                ExportFormat.Onnx => Onnx(source, target, r.GetValue(graph) ?? OnnxGraph.Sequence),
                var other => throw new UsageException($"--format: '{other}' cannot be written yet."),
            };
        }));
        return command;
    }

    // The output file: in a folder that exists, not a folder itself, not the model being read, and new unless --overwrite.
    private static string CheckOutput(string path, string source, bool overwrite)
    {
        if (Directory.Exists(path))
            throw new InputException($"--output: '{path}' is a folder. Name the file to write, such as {Path.Combine(path, "model.onnx")}.");
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new InputException($"--output: the folder '{Path.GetDirectoryName(path)}' does not exist. Create it first, "
            + "or write the file elsewhere.");
        if (Path.GetFullPath(path) == Path.GetFullPath(source))
            throw new InputException($"--output: '{path}' is the model being exported. Name another file.");
        if (File.Exists(path) && !overwrite) throw new InputException($"--output: '{path}' already exists. Pass --overwrite to replace it, or name "
            + "another file.");
        return path;
    }

    private static int Onnx(string source, string target, OnnxGraph graph)
    {
        var lm = CharLanguageModel.Load(source);
        OnnxExport.Save(target, lm.FileContents, graph);
        Report(target, lm, graph);
        return ExitCodes.Ok;
    }

    private static void Report(string path, CharLanguageModel lm, OnnxGraph graph)
    {
        var c = lm.Config;
        string time = graph == OnnxGraph.Step ? "1" : "T";
        string state = $"[{c.Layers}, B, {c.HiddenSize}]";
        long bytes = new FileInfo(path).Length;
        Console.WriteLine($"wrote {path}");
        Console.WriteLine($"  format: ONNX, opset {OnnxExport.Opset} (IR version {OnnxExport.IrVersion})");
        Console.WriteLine($"  graph:  {OnnxExport.Name(graph)}: {OnnxExport.IdsInput} [{time}, B] int64, {OnnxExport.HiddenInput} and "
            + $"{OnnxExport.CellInput} {state} → {OnnxExport.LogitsOutput} [{time}, B, {c.VocabSize}], {OnnxExport.HiddenOutput} and "
            + $"{OnnxExport.CellOutput} {state}");
        Console.WriteLine($"  size:   {Size(bytes)} ({bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes)");
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
    };
}
