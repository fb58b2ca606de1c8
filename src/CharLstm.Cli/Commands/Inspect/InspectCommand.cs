using System.Text.Json;
using CharLstm.Data;
using CharLstm.IO;

namespace CharLstm.Cli.Commands.Inspect;

/// <summary><c>charlstm inspect</c>: what a model file or a training checkpoint holds.</summary>
internal static class InspectCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var path = new Argument<string>("model") { Description = "Model file, training checkpoint, or a training output folder." };
        var json = new Option<bool>("--json") { Description = "Print as JSON." };
        var checkpoint = new Option<bool>("--checkpoint")
        {
            Description = "Show the folder's training checkpoint (last.checkpoint.safetensors) instead of its model.",
        };
        var command = new Command("inspect", """
            Show a model's configuration, vocabulary, parameter count and training summary; or a training
            checkpoint's progress, options, vocabulary and the command that resumes it.

            Examples:
              charlstm inspect runs/tinyshakespeare
              charlstm inspect model.safetensors --json
              charlstm inspect runs/tinyshakespeare --checkpoint
              charlstm inspect runs/tinyshakespeare/step-00001000.checkpoint.safetensors
            """);
        command.Arguments.Add(path);
        command.Options.Add(json);
        command.Options.Add(checkpoint);
        command.SetAction(r => Guarded.Run("inspect", () =>
        {
            string given = r.GetValue(path)!;
            if (r.GetValue(checkpoint) && Directory.Exists(given))
            {
                string last = Path.Combine(given, CheckpointRotation.LastCheckpointName);
                if (!File.Exists(last)) throw new InputException($"--checkpoint: the folder '{given}' holds no "
                    + $"{CheckpointRotation.LastCheckpointName}. Pass the --out folder of a 'charlstm train' run, or a checkpoint file.");
                CheckpointView.Show(last, given, r.GetValue(json));
                return ExitCodes.Ok;
            }
            string file = ModelLocator.Resolve(given);
            // A checkpoint is told by its metadata's format, whatever its name; with --checkpoint, loading says why a file is not one.
            if (r.GetValue(checkpoint) || CheckpointFile.IsCheckpoint(file))
            {
                string folder = Path.GetDirectoryName(file) is { Length: > 0 } parent ? parent : ".";
                CheckpointView.Show(file, folder, r.GetValue(json));
                return ExitCodes.Ok;
            }
            var lm = CharLanguageModel.Load(file);
            var c = lm.Config;
            var s = lm.Summary;
            var vocab = lm.Vocabulary.ToStrings();
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["file"] = file,
                    ["vocab_size"] = c.VocabSize, ["embedding_size"] = c.EmbeddingSize, ["one_hot"] = c.OneHot,
                    ["hidden_size"] = c.HiddenSize, ["layers"] = c.Layers, ["dropout"] = c.Dropout,
                    ["parameters"] = lm.Network.Parameters.Length,
                    ["tensors"] = lm.Network.Layout.Tensors.Select(t => new { name = t.Name, shape = t.Shape }).ToArray(),
                    ["vocabulary"] = vocab,
                    ["training"] = s is null ? null : new Dictionary<string, object?>
                    {
                        ["corpus_name"] = s.CorpusName, ["corpus_sha256"] = s.CorpusSha256, ["characters_seen"] = s.CharactersSeen,
                        ["steps"] = s.Steps, ["best_val_loss"] = double.IsFinite(s.BestValidationLoss) ? s.BestValidationLoss : null,
                        ["date"] = s.Date, ["tool_version"] = s.ToolVersion,
                    },
                }, Indented));
                return ExitCodes.Ok;
            }
            Console.WriteLine($"file:        {file}");
            Console.WriteLine($"model:       {c.Layers} LSTM layer(s) × {c.HiddenSize} units, input "
                + $"{(c.OneHot ? "one-hot" : $"embedding {c.EmbeddingSize}")}, dropout {c.Dropout}");
            Console.WriteLine($"parameters:  {lm.Network.Parameters.Length:N0}");
            foreach (var t in lm.Network.Layout.Tensors) Console.WriteLine($"  {t.Name,-22} [{string.Join(", ", t.Shape)}]");
            string shown = string.Concat(lm.Vocabulary.Scalars.ToArray().Select(TextScalars.Show));
            Console.WriteLine($"vocabulary:  {c.VocabSize} character{(c.VocabSize == 1 ? "" : "s")}: {shown}");
            if (s is not null)
            {
                Console.WriteLine($"trained on:  {s.CorpusName} (sha256 {s.CorpusSha256})");
                Console.WriteLine($"progress:    {s.Steps:N0} step{(s.Steps == 1 ? "" : "s")}, "
                    + $"{s.CharactersSeen:N0} character{(s.CharactersSeen == 1 ? "" : "s")} seen");
                if (double.IsFinite(s.BestValidationLoss)) Console.WriteLine($"best val:    {s.BestValidationLoss:F4} "
                    + $"nats/char ({s.BestValidationLoss / Math.Log(2):F4} bits/char)");
                Console.WriteLine($"written:     {s.Date:u} by charlstm {s.ToolVersion}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
