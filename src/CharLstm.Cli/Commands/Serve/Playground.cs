using Microsoft.AspNetCore.Http;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// The web playground at <c>/</c>: a page, a style sheet and a script, embedded in this assembly (no build step, no
/// CDN). The page only calls this server's own API, and says so in its Content-Security-Policy.
/// </summary>
internal static class Playground
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["/"] = ("playground/index.html", "text/html; charset=utf-8"),
        ["/playground.css"] = ("playground/playground.css", "text/css; charset=utf-8"),
        ["/playground.js"] = ("playground/playground.js", "text/javascript; charset=utf-8"),
    };

    public static IEnumerable<string> Paths => Files.Keys;

    public static bool Serves(PathString path) => path.Value is { } p && Files.ContainsKey(p);

    public static async Task ServeAsync(HttpContext context)
    {
        var (resource, contentType) = Files[context.Request.Path.Value!];
        using var stream = typeof(Playground).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the playground file {resource} is missing from the build.");
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
