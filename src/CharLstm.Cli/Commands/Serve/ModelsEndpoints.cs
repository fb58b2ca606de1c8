using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// <c>GET /v1/models</c> and <c>/v1/models/{name}</c>: each model's shape and training summary; and
/// <c>/v1/models/{name}/metrics</c>: its run's loss curve from metrics.csv, for the playground's plot.
/// </summary>
internal static class ModelsEndpoints
{
    /// <summary>The most points of a loss curve sent; a longer log is thinned evenly (a plot is a few hundred pixels wide).</summary>
    public const int MaxCurvePoints = 2000;
    /// <summary>The largest metrics.csv read (a long run's is a few MB).</summary>
    public const long MaxMetricsBytes = 64 << 20;

    public static IResult List(ModelRegistry models) =>
        Json(new JsonObject { ["object"] = "list", ["data"] = new JsonArray([.. models.All.Select(Describe)]) });

    public static IResult One(ModelRegistry models, string name) =>
        models.Find(name) is { } model ? Json(Describe(model)) : NotFound(name);

    public static IResult Metrics(ModelRegistry models, string name)
    {
        if (models.Find(name) is not { } model) return NotFound(name);
        if (model.MetricsFile is not { } csv || new FileInfo(csv).Length > MaxMetricsBytes)
            return Json(ErrorReply.Body($"'{name}' has no training metrics: no metrics.csv beside its model file.", "invalid_request_error", "name"),
                StatusCodes.Status404NotFound);
        return Json(Curve(model.Name, File.ReadAllLines(csv)));
    }

    private static JsonObject Describe(ServedModel model)
    {
        var language = model.Language;
        var config = language.Config;
        var summary = language.Summary;
        return new JsonObject
        {
            ["id"] = model.Name,
            ["object"] = "model",
            ["created"] = (summary?.Date ?? File.GetLastWriteTimeUtc(model.Path)).ToUnixTimeSeconds(),
            ["owned_by"] = "charlstm",
            ["vocabulary_size"] = config.VocabSize,
            ["layers"] = config.Layers,
            ["hidden_size"] = config.HiddenSize,
            ["embedding_size"] = config.EmbeddingSize,
            ["training"] = summary is null ? null : new JsonObject
            {
                ["corpus"] = summary.CorpusName,
                ["corpus_sha256"] = summary.CorpusSha256,
                ["steps"] = summary.Steps,
                ["characters_seen"] = summary.CharactersSeen,
                ["best_validation_loss"] = double.IsFinite(summary.BestValidationLoss) ? summary.BestValidationLoss : null,
                ["date"] = summary.Date.ToString("O", CultureInfo.InvariantCulture),
                ["tool_version"] = summary.ToolVersion,
            },
            ["has_metrics"] = model.MetricsFile is not null,
        };
    }

    // metrics.csv's columns by name (step, chars_seen, train_loss, val_loss); empty cells are steps without that value.
    private static JsonObject Curve(string name, string[] lines)
    {
        var header = lines.Length > 0 ? lines[0].Split(',') : [];
        int step = Array.IndexOf(header, "step"), chars = Array.IndexOf(header, "chars_seen");
        int train = Array.IndexOf(header, "train_loss"), val = Array.IndexOf(header, "val_loss");
        var rows = lines.Skip(1).Where(l => l.Length > 0).ToArray();
        int every = Math.Max(1, (rows.Length + MaxCurvePoints - 1) / MaxCurvePoints);
        var points = new JsonArray();
        for (int i = 0; i < rows.Length; i++)
        {
            var cells = rows[i].Split(',');
            double? trainLoss = Cell(cells, train), valLoss = Cell(cells, val);
            // Thin the training points, but keep every validation point (there are few, and they are the curve that matters).
            if (i % every != 0 && i != rows.Length - 1 && valLoss is null) continue;
            points.Add(new JsonObject
            {
                ["step"] = Cell(cells, step), ["chars_seen"] = Cell(cells, chars), ["train_loss"] = trainLoss, ["val_loss"] = valLoss,
            });
        }
        return new JsonObject { ["model"] = name, ["points"] = points };
    }

    private static double? Cell(string[] cells, int column) =>
        column >= 0 && column < cells.Length && double.TryParse(cells[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            && double.IsFinite(v) ? v : null;

    private static IResult Json(JsonNode body, int status = StatusCodes.Status200OK) => Results.Json(body, ServeJson.Options, statusCode: status);

    private static IResult NotFound(string name) =>
        Json(ErrorReply.Body($"no model named '{name}' is served; GET /v1/models lists the ones that are.", "invalid_request_error", "model"),
            StatusCodes.Status404NotFound);
}
