using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// Who may talk to the server. The Host header must name this server (localhost, 127.0.0.1, [::1], a bound host, or a
/// host allowed with --allowed-host): a web page on another name that resolves to 127.0.0.1 (DNS rebinding, as in
/// Ollama's CVE-2024-28224) is refused with 403. With an API key, every request but /health and the playground's own
/// files must carry <c>Authorization: Bearer KEY</c> (401 otherwise).
/// </summary>
internal sealed class AccessRules
{
    private readonly HashSet<string> _hosts;
    private readonly bool _anyHost;
    private readonly byte[]? _key;

    public AccessRules(ServeSettings settings)
    {
        _hosts = new HashSet<string>(["localhost", "127.0.0.1", "[::1]"], StringComparer.OrdinalIgnoreCase);
        foreach (string url in settings.Urls)
            if (Uri.TryCreate(url.Replace("://*", "://any-host", StringComparison.Ordinal).Replace("://+", "://any-host", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri) && uri.Host != "any-host" && uri.Host is not ("0.0.0.0" or "[::]"))
                _hosts.Add(uri.Host);
        foreach (string host in settings.AllowedHosts) _hosts.Add(host);
        _anyHost = _hosts.Contains("*");
        _key = settings.ApiKey is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;
    }

    /// <summary>Paths a client may fetch without the key: the health check and the playground's files (the page asks for the key).</summary>
    public static bool IsOpen(PathString path) => path == "/health" || Playground.Serves(path);

    /// <summary>Null when the Host header names this server, else the refusal (403).</summary>
    public ApiException? CheckHost(HttpRequest request)
    {
        string host = request.Host.Host;
        return _anyHost || _hosts.Contains(host) ? null : new ApiException(StatusCodes.Status403Forbidden,
            $"the Host header '{host}' is not one this server answers to; start it with --allowed-host {host} to allow it.", type: "permission_error");
    }

    /// <summary>Null when no key is needed or the request carries it, else the refusal (401).</summary>
    public ApiException? CheckKey(HttpRequest request)
    {
        if (_key is null || IsOpen(request.Path)) return null;
        string header = request.Headers.Authorization.ToString();
        bool ok = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), _key);
        return ok ? null : new ApiException(StatusCodes.Status401Unauthorized,
            "this server needs an API key: send 'Authorization: Bearer KEY' with the key it was started with.", type: "authentication_error");
    }
}
