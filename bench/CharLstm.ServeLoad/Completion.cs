using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace CharLstm.ServeLoad;

/// <summary>What one completion request came to: its status, its text, when its first character came and how fast the rest did.</summary>
internal sealed record Completion(int Status, string Text, double FirstCharacterMs, double PerCharacterMs, TimeSpan RetryAfter, string? Error)
{
    /// <summary>Sends a completion request (streamed or not) and reads the whole reply.</summary>
    public static async Task<Completion> Run(HttpClient http, Uri url, string model, string prompt, int maxTokens, float temperature, ulong seed,
        bool stream, CancellationToken cancel)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model, ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = temperature, ["seed"] = seed, ["stream"] = stream,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url, "/v1/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        int status = (int)response.StatusCode;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var retry = response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero;
            return new Completion(status, "", 0, 0, retry, await response.Content.ReadAsStringAsync(cancel));
        }

        if (!stream)
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
            string whole = doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString() ?? "";
            return new Completion(status, whole, clock.Elapsed.TotalMilliseconds, 0, TimeSpan.Zero, null);
        }

        // Server-sent events: "data: {json}" per piece of text, then "data: [DONE]"; an error after the first byte is an event too.
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel), Encoding.UTF8);
        var text = new StringBuilder();
        double first = -1, last = 0;
        string? error = null;
        bool done = false;
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            string data = line[6..];
            if (data == "[DONE]") { done = true; break; }
            using var doc = JsonDocument.Parse(data);
            if (doc.RootElement.TryGetProperty("error", out var e)) { error = e.ToString(); continue; }
            string piece = doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString() ?? "";
            if (piece.Length == 0) continue;
            double now = clock.Elapsed.TotalMilliseconds;
            if (first < 0) first = now;
            last = now;
            text.Append(piece);
        }

        if (!done) error ??= "the stream ended without [DONE]";
        // Time per character after the first: events arrive in bursts when the client reads several at once, so the gap between
        // two events says little; the stream's length over its characters says how fast the text came.
        double perCharacter = text.Length > 1 ? (last - first) / (text.Length - 1) : 0;
        return new Completion(status, text.ToString(), Math.Max(first, 0), perCharacter, TimeSpan.Zero, error);
    }
}
