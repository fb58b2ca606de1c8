using System.Text.Json;
using CharLstm.Data;

namespace CharLstm.Cli.Commands.Eval;

/// <summary><c>charlstm eval</c>: the model's loss on a text, as PyTorch would compute it.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model file, or a training output folder (uses best.safetensors).", Required = true };
        var path = new Argument<string>("text") { Description = "The text to score: a file, a folder of text files, or an http(s) URL." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var unknown = new Option<UnknownMode?>("--unknown")
        {
            Description = "Characters the model never saw: error (list them; the default) or skip (drop them and count them).",
        };
        var text = new TextOptions();
        var command = new Command("eval", """
            Mean loss of a model on a text: read as one stream from a zero state, every character predicted
            from all before it (the first is context only) — the same number PyTorch gives with these weights.

            Examples:
              charlstm eval -m runs/tinyshakespeare valid.txt
              charlstm eval -m model.safetensors notes.txt --unknown skip --json
            """);
        command.Arguments.Add(path);
        foreach (var o in new Option[] { model, json, unknown }) command.Options.Add(o);
        text.AddTo(command);
        command.SetAction(r => Guarded.Run("eval", () =>
        {
            var lm = ModelLocator.Load(r.GetValue(model)!);
            // The text is read as the training text was (the model's text options), or as the options typed say; a URL is
            // downloaded once into the cache, as train does.
            var corpus = CorpusLoader.LoadAsync(r.GetValue(path)!, text.ReadOver(r, lm.TextOptions), CorpusDownloadOptions.Default,
                m => Console.Error.WriteLine($"warning: {m}"), CancellationToken.None).GetAwaiter().GetResult();
            EvaluationResult result;
            try { result = lm.Evaluate(corpus.Scalars, r.GetValue(unknown) ?? UnknownMode.Error); }
            catch (CorpusException e) { throw new InputException(CommandLineText.SkipUnknownAdvice(e.Message)); }
            if (result.Loss.Count == 0) throw new InputException($"'{corpus.Name}' has fewer than 2 known characters, so nothing can be scored.");
            if (r.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["file"] = r.GetValue(path)!, ["loss_nats"] = result.Loss.MeanNats, ["bits_per_char"] = result.Loss.BitsPerChar,
                    ["characters_scored"] = result.Loss.Count, ["characters_skipped_unknown"] = result.UnknownSkipped,
                }));
            else
                Console.WriteLine($"loss {result.Loss.MeanNats:F6} nats/char ({result.Loss.BitsPerChar:F6} bits/char) over {result.Loss.Count:N0} "
                    + $"character{(result.Loss.Count == 1 ? "" : "s")}; {result.UnknownSkipped:N0} skipped as unknown");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
