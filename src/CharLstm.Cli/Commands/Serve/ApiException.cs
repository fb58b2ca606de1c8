using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// A request the server refuses, as OpenAI reports it: an HTTP status and
/// <c>{"error":{"message","type","param","code"}}</c>, where param names the request field at fault.
/// </summary>
internal sealed class ApiException(int status, string message, string? param = null, string type = "invalid_request_error")
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string Type { get; } = type;

    /// <summary>A 400 naming the field.</summary>
    public static ApiException Field(string param, string message) => new(StatusCodes.Status400BadRequest, message, param);
}
