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
            string target = r.GetValue(output)!;
            OutputFile.Check(target, r.GetValue(overwrite), "model.onnx", (source, "the model being exported"));
            // One format so far; --format is a choice so that the next one is a value, not a new verb.
            return r.GetValue(format) switch
            {
                ExportFormat.Onnx => Onnx(source, target, r.GetValue(graph) ?? OnnxGraph.Sequence),
                var other => throw new UsageException($"--format: '{other}' cannot be written yet."),
            };
        }));
        return command;
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
