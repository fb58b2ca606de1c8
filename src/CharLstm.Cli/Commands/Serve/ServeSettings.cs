namespace CharLstm.Cli.Commands.Serve;

/// <summary>Everything <c>charlstm serve</c> was told: the models, where to listen, the limits and the access rules.</summary>
/// <param name="Models">Each model's name (as requests give it) and file.</param>
/// <param name="Urls">The addresses Kestrel binds, such as http://127.0.0.1:8080 (port 0: any free port).</param>
/// <param name="Threads">Compute threads per model's generation loop.</param>
/// <param name="Limits">What a request may ask for.</param>
/// <param name="AllowedHosts">Host header values accepted besides localhost, 127.0.0.1, [::1] and the bound hosts ("*": any).</param>
/// <param name="CorsOrigins">Origins a browser may call the API from (none: CORS off).</param>
/// <param name="ApiKey">The bearer key every request but /health and the playground's files must carry (null: none).</param>
internal sealed record ServeSettings(
    IReadOnlyList<ModelSpec> Models,
    IReadOnlyList<string> Urls,
    int Threads,
    ServerLimits Limits,
    IReadOnlyList<string> AllowedHosts,
    IReadOnlyList<string> CorsOrigins,
    string? ApiKey)
{
    /// <summary>Whether the host logs to the console (the verb: warnings and errors; tests in-process: nothing).</summary>
    public bool ConsoleLogging { get; init; }
}
