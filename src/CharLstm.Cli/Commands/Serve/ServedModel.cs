using CharLstm.Serving;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>A loaded model and the scheduler whose shared batch generates every request for it.</summary>
internal sealed class ServedModel(string name, string path, CharLanguageModel language, BatchScheduler scheduler) : IDisposable
{
    public string Name { get; } = name;
    /// <summary>The model file.</summary>
    public string Path { get; } = path;
    public CharLanguageModel Language { get; } = language;
    public BatchScheduler Scheduler { get; } = scheduler;

    // Each vocabulary id's text, decoded once: a stream turns every drawn id into text.
    private readonly string[] _texts = [.. Enumerable.Range(0, language.Vocabulary.Size).Select(id => language.Vocabulary.Decode([id]))];

    /// <summary>The text of vocabulary id <paramref name="id"/>.</summary>
    public string Text(int id) => _texts[id];

    /// <summary>The training run's metrics.csv beside the model file, when the file sits in its run folder.</summary>
    public string? MetricsFile =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!, "metrics.csv") is { } csv && File.Exists(csv) ? csv : null;

    public void Dispose() => Scheduler.Dispose();
}
