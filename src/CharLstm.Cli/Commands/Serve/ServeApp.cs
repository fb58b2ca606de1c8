using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// The server <c>charlstm serve</c> runs, built on ASP.NET Core's minimal APIs and Kestrel; the tests start the same one
/// in-process on http://127.0.0.1:0. The port opens first and /health says "loading" until <see cref="LoadModels"/> is done.
/// </summary>
internal sealed class ServeApp : IAsyncDisposable
{
    private const string CorsPolicy = "configured-origins";
    private readonly ServeSettings _settings;

    private ServeApp(ServeSettings settings, WebApplication web)
    {
        _settings = settings;
        Web = web;
        Models = web.Services.GetRequiredService<ModelRegistry>();
        Metrics = web.Services.GetRequiredService<ServerMetrics>();
    }

    public WebApplication Web { get; }
    public ModelRegistry Models { get; }
    public ServerMetrics Metrics { get; }

    /// <summary>The addresses Kestrel listens on (with the real port when 0 was asked for), once started.</summary>
    public IReadOnlyList<string> Addresses => [.. Web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];

    public static ServeApp Create(ServeSettings settings)
    {
        // No appsettings.json, environment prefix or command-line configuration: the verb's options are the whole configuration.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (settings.ConsoleLogging) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls([.. settings.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.Limits.MaxBodyBytes;
        });
        // Streams end within a step of the stop signal; the rest of this is for replies still being written.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(settings.Limits);
        builder.Services.AddSingleton<ModelRegistry>();
        builder.Services.AddSingleton<ServerMetrics>();
        if (settings.CorsOrigins.Count > 0)
            builder.Services.AddCors(o => o.AddPolicy(CorsPolicy, p => p.WithOrigins([.. settings.CorsOrigins]).AllowAnyHeader().WithMethods("GET", "POST")));
        var web = builder.Build();
        Configure(web, settings);
        return new ServeApp(settings, web);
    }

    private static void Configure(WebApplication web, ServeSettings settings)
    {
        var rules = new AccessRules(settings);
        var metrics = web.Services.GetRequiredService<ServerMetrics>();
        var models = web.Services.GetRequiredService<ModelRegistry>();
        // Outermost: count every answer by route and status, refuse foreign Host headers, and turn a failure nobody
        // foresaw into a JSON 500 without a stack trace.
        web.Use(async (context, next) =>
        {
            try
            {
                if (rules.CheckHost(context.Request) is { } refusal) await ErrorReply.WriteAsync(context, refusal).ConfigureAwait(false);
                else await next(context).ConfigureAwait(false);
            }
            catch (Exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                await ErrorReply.WriteAsync(context, StatusCodes.Status500InternalServerError, "the server failed to answer; see its log.", "server_error")
                    .ConfigureAwait(false);
            }
            finally
            {
                string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
                metrics.Answered(route, context.Response.StatusCode);
            }
        });
        web.UseRouting();
        if (settings.CorsOrigins.Count > 0) web.UseCors(CorsPolicy); // answers preflights before the key is asked for
        web.Use(async (context, next) =>
        {
            if (rules.CheckKey(context.Request) is { } refusal) await ErrorReply.WriteAsync(context, refusal).ConfigureAwait(false);
            else await next(context).ConfigureAwait(false);
        });

        web.MapGet("/health", () => models.Ready
            ? Results.Json(new { status = "ok" })
            : Results.Json(new { status = "loading" }, ServeJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable));
        web.MapMetrics("/metrics", metrics.Registry);
        var v1 = web.MapGroup("/v1");
        v1.MapPost("/completions", CompletionsEndpoint.HandleAsync);
        v1.MapGet("/models", ModelsEndpoints.List);
        v1.MapGet("/models/{name}", ModelsEndpoints.One);
        v1.MapGet("/models/{name}/metrics", ModelsEndpoints.Metrics);
        foreach (string path in Playground.Paths) web.MapGet(path, Playground.ServeAsync);
        web.MapFallback(context => ErrorReply.WriteAsync(context, StatusCodes.Status404NotFound,
            $"nothing at {context.Request.Method} {context.Request.Path}; the API is POST /v1/completions, GET /v1/models, /health and /metrics, "
            + "and the playground is at /.", "invalid_request_error"));
    }

    public Task StartAsync(CancellationToken ct = default) => Web.StartAsync(ct);

    /// <summary>Loads every model; /health says ok from then on.</summary>
    public void LoadModels() => Models.Load(_settings.Models, _settings.Threads, _settings.Limits);

    /// <summary>Stops taking requests, ends the streams in flight (each gets a last event and [DONE]), then the schedulers.</summary>
    public async ValueTask DisposeAsync()
    {
        await Web.StopAsync().ConfigureAwait(false);
        Models.Dispose();
        await Web.DisposeAsync().ConfigureAwait(false);
    }
}
