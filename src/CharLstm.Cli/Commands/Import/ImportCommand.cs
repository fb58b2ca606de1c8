using System.Globalization;
using System.Text.Json;
using CharLstm.Interop;
using CharLstm.IO;
using CharLstm.Model;

namespace CharLstm.Cli.Commands.Import;

/// <summary><c>charlstm import</c>: a PyTorch state_dict (safetensors) and its vocab.json become a model file.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var state = new Argument<string>("state") { Description = "A PyTorch state_dict saved as safetensors under the model file's tensor names." };
        var vocab = new Option<string>("--vocab") { Description = "vocab.json: a JSON list of characters in id order, or {\"char\": id}.", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The model file to write (.safetensors).", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the output file if it exists." };
        var dropout = new Option<float>("--dropout")
        {
            Description = "Dropout to record in the model, used if it is fine-tuned with 'charlstm train --init-from' (default 0).",
        };
        var json = new Option<bool>("--json") { Description = "Print what was written as JSON." };
        var command = new Command("import", """
            Make a model file of a PyTorch state_dict: nn.Embedding (or one-hot input) + nn.LSTM(batch_first=True) +
            nn.Linear, saved as safetensors under the names embedding.weight, lstm.weight_ih_lk, lstm.weight_hh_lk,
            lstm.bias_ih_lk, lstm.bias_hh_lk and head.weight, head.bias. The layers, hidden size, embedding width (or
            one-hot input) and vocabulary size are read from the tensors; vocab.json gives the characters. The result
            works with generate, eval, serve and inspect.

            Examples:
              charlstm import state.safetensors --vocab vocab.json -o model.safetensors
              charlstm import state.safetensors --vocab vocab.json -o model.safetensors --overwrite --json
            """);
        command.Arguments.Add(state);
        foreach (var o in new Option[] { vocab, output, overwrite, dropout, json }) command.Options.Add(o);
        command.SetAction(r => Guarded.Run("import", () =>
        {
            string statePath = r.GetValue(state)!, vocabPath = r.GetValue(vocab)!, outPath = r.GetValue(output)!;
            float dropoutValue = r.GetValue(dropout);
            if (!(dropoutValue is >= 0f and < 1f)) throw new UsageException($"--dropout must be in [0, 1), got {dropoutValue}.");
            OutputFile.Check(outPath, r.GetValue(overwrite), "model.safetensors",
                (statePath, "the state_dict being read"), (vocabPath, "the vocab.json being read"));

            var imported = StateDictImport.Import(statePath, vocabPath, dropoutValue);
            ModelFile.Save(outPath, imported.Contents);
            var config = imported.Contents.Network.Config;
            long parameters = ParameterLayout.CountParameters(config);
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["model"] = outPath, ["state_dict"] = statePath, ["vocab"] = vocabPath, ["vocab_size"] = config.VocabSize,
                    ["embedding_size"] = config.EmbeddingSize, ["hidden_size"] = config.HiddenSize, ["layers"] = config.Layers,
                    ["parameters"] = parameters, ["vocabulary_reordered"] = imported.Reordered,
                }));
                return ExitCodes.Ok;
            }

            string input = config.OneHot ? "one-hot input" : $"embedding {config.EmbeddingSize}";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"imported {statePath}: {config.Layers} LSTM layer(s) × {config.HiddenSize} units, "
                + $"{input}, vocabulary {config.VocabSize} characters, {parameters:N0} parameters"));
            if (imported.Reordered)
                Console.WriteLine($"the characters of {vocabPath} were sorted by code point, as CharLstm keeps them; the rows of the tensors indexed "
                    + "by character moved with them, so the model computes the same function.");
            Console.WriteLine($"wrote {outPath}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
