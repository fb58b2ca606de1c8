using CharLstm.Serving;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// The models the server answers for. Empty until <see cref="Load"/> has read every file, so /health can say
/// "loading" (503) while the port is already open, then "ok".
/// </summary>
internal sealed class ModelRegistry : IDisposable
{
    private volatile IReadOnlyList<ServedModel>? _models;

    public bool Ready => _models is not null;

    /// <summary>Every model, in the order given on the command line (none while loading).</summary>
    public IReadOnlyList<ServedModel> All => _models ?? [];

    /// <summary>Loads every model and starts its scheduler; a bad file throws (and nothing is served).</summary>
    public void Load(IReadOnlyList<ModelSpec> specs, int threads, ServerLimits limits)
    {
        var models = new List<ServedModel>();
        try
        {
            foreach (var spec in specs)
            {
                var language = CharLanguageModel.Load(spec.Path);
                var scheduler = new BatchScheduler(language.Inference, limits.MaxStreams, limits.MaxQueued, threads);
                models.Add(new ServedModel(spec.Name, spec.Path, language, scheduler));
            }
        }
        catch
        {
            foreach (var model in models) model.Dispose();
            throw;
        }
        _models = models;
    }

    /// <summary>The model a request names; with no name, the first one.</summary>
    public ServedModel? Find(string? name) => name is null ? (All.Count > 0 ? All[0] : null) : All.FirstOrDefault(m => m.Name == name);

    /// <summary>Ends every stream and stops every scheduler's loop.</summary>
    public void Dispose()
    {
        foreach (var model in All) model.Dispose();
    }
}
