using System.Text.Json;
using System.Text.Json.Serialization;
using CharLstm.Training;

namespace CharLstm.Cli.Commands.Common;

/// <summary>
/// The training options as users read them, in config.json and <c>inspect --json</c>: snake_case keys like every
/// other key there, enums as lower-case words. The checkpoint keeps its own form (CheckpointFile.SerializeOptions).
/// </summary>
internal static class OptionsJson
{
    private static readonly JsonSerializerOptions SnakeCase = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static JsonElement Element(TrainingOptions options) => JsonSerializer.SerializeToElement(options, SnakeCase);
}
