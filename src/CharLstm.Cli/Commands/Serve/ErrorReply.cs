using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>Errors as OpenAI sends them: <c>{"error":{"message","type","param","code"}}</c>, as a reply or as a stream's event.</summary>
internal static class ErrorReply
{
    public static JsonObject Body(string message, string type, string? param) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = null },
    };

    public static Task WriteAsync(HttpContext context, ApiException error)
    {
        context.Response.StatusCode = error.Status;
        if (error.Status == StatusCodes.Status429TooManyRequests)
            context.Response.Headers.RetryAfter = ServerLimits.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        if (error.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteAsync(context, error.Status, error.Message, error.Type, error.Param);
    }

    public static Task WriteAsync(HttpContext context, int status, string message, string type, string? param = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(Body(message, type, param).ToJsonString(ServeJson.Options), context.RequestAborted);
    }
}
