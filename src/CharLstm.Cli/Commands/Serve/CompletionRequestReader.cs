using System.Globalization;
using System.Text.Json;
using CharLstm.Sampling;
using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// Reads a completions body into a <see cref="CompletionRequest"/>, checking every field on both sides of its range.
/// Each refusal is an <see cref="ApiException"/> naming the field; fields it does not know are ignored (as OpenAI's
/// servers ignore what they do not use), and a field sent as null counts as left out.
/// </summary>
internal static class CompletionRequestReader
{
    public static CompletionRequest Read(JsonElement body, ServerLimits limits)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new ApiException(StatusCodes.Status400BadRequest, "the body must be a JSON object.");
        string? model = String(body, "model");
        string prompt = Prompt(body);
        int maxTokens = Integer(body, "max_tokens", 1, limits.MaxTokens) ?? Math.Min(ServerLimits.DefaultMaxTokens, limits.MaxTokens);
        double temperature = Number(body, "temperature", 0, ServerLimits.MaxTemperature, lowOpen: false) ?? 1;
        double topP = Number(body, "top_p", 0, 1, lowOpen: true) ?? 1;
        int topK = Integer(body, "top_k", 0, ServerLimits.MaxTopK) ?? 0;
        ulong? seed = Seed(body);
        int choices = Integer(body, "n", 1, limits.MaxChoices) ?? 1;
        bool stream = Boolean(body, "stream") ?? false;
        var stops = Stops(body, limits);
        return new CompletionRequest(model, prompt, maxTokens, new SamplingOptions((float)temperature, topK, (float)topP), seed, stops, choices, stream);
    }

    private static JsonElement? Field(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? String(JsonElement body, string name)
    {
        if (Field(body, name) is not { } value) return null;
        return value.ValueKind == JsonValueKind.String ? Text(value, name) : throw ApiException.Field(name, $"{name} must be a string.");
    }

    // JSON may escape a lone surrogate (\ud800), which is no text: a 400 rather than the reader's exception.
    private static string Text(JsonElement value, string name)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException) { throw ApiException.Field(name, $"{name} is not valid text: it has a lone UTF-16 surrogate escape."); }
    }

    // OpenAI takes a string or a list; a list of one string is the same request. Token lists and batches are refused.
    private static string Prompt(JsonElement body)
    {
        if (Field(body, "prompt") is not { } value) return "";
        if (value.ValueKind == JsonValueKind.String) return Text(value, "prompt");
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 1 && value[0].ValueKind == JsonValueKind.String)
            return Text(value[0], "prompt");
        throw ApiException.Field("prompt", "prompt must be a string, or a list of one string (for several completions of one prompt, use n).");
    }

    private static int? Integer(JsonElement body, string name, int min, int max)
    {
        if (Field(body, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number) throw ApiException.Field(name, $"{name} must be an integer from {min} to {max}.");
        if (!value.TryGetDouble(out double number) || number != Math.Floor(number))
            throw ApiException.Field(name, $"{name} must be an integer from {min} to {max}, got {value.GetRawText()}.");
        if (number < min || number > max) throw ApiException.Field(name, $"{name} must be from {min} to {max}, got {value.GetRawText()}.");
        return (int)number;
    }

    private static double? Number(JsonElement body, string name, double min, double max, bool lowOpen)
    {
        if (Field(body, name) is not { } value) return null;
        string range = lowOpen ? $"above {Show(min)} and at most {Show(max)}" : $"from {Show(min)} to {Show(max)}";
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || !double.IsFinite(number))
            throw ApiException.Field(name, $"{name} must be a number {range}.");
        if (number < min || (lowOpen && number == min) || number > max) throw ApiException.Field(name, $"{name} must be {range}, got {value.GetRawText()}.");
        return number;
    }

    private static ulong? Seed(JsonElement body)
    {
        if (Field(body, "seed") is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetUInt64(out ulong seed))
        {
            string got = value.ValueKind == JsonValueKind.Number ? $", got {value.GetRawText()}" : "";
            throw ApiException.Field("seed", $"seed must be an integer from 0 to {ulong.MaxValue}{got}.");
        }
        return seed;
    }

    private static bool? Boolean(JsonElement body, string name)
    {
        if (Field(body, name) is not { } value) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiException.Field(name, $"{name} must be true or false."),
        };
    }

    private static string[] Stops(JsonElement body, ServerLimits limits)
    {
        if (Field(body, "stop") is not { } value) return [];
        string[] stops = value.ValueKind switch
        {
            JsonValueKind.String => [Text(value, "stop")],
            JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                => [.. value.EnumerateArray().Select(e => Text(e, "stop"))],
            _ => throw ApiException.Field("stop", "stop must be a string or a list of strings."),
        };
        if (stops.Length > limits.MaxStops) throw ApiException.Field("stop", $"stop may have at most {limits.MaxStops} sequences, got {stops.Length}.");
        foreach (string stop in stops)
        {
            if (stop.Length == 0) throw ApiException.Field("stop", "a stop sequence needs at least one character.");
            int characters = stop.EnumerateRunes().Count();
            if (characters > limits.MaxStopLength)
                throw ApiException.Field("stop", $"a stop sequence may have at most {limits.MaxStopLength} characters, got {characters}.");
        }
        return stops;
    }

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
