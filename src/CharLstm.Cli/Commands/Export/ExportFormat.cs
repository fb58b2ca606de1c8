namespace CharLstm.Cli.Commands.Export;

/// <summary>The formats <c>charlstm export</c> writes; a choice, so an unknown one is a usage error that lists these.</summary>
internal enum ExportFormat
{
    /// <summary>An ONNX graph (src/CharLstm/Interop/OnnxExport.cs).</summary>
    Onnx,
}
