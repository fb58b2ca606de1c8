using Prometheus;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// What /metrics reports, in Prometheus' text format: requests by path and status, characters generated, time to the
/// first character, each model's queue and active streams, and the process's memory, CPU and GC figures. Each server has its own registry, so servers started
/// side by side (the tests) do not share counts.
/// </summary>
internal sealed class ServerMetrics
{
    private readonly Counter _requests;
    private readonly Counter _characters;
    private readonly Histogram _firstCharacter;

    public ServerMetrics(ModelRegistry models)
    {
        // The process's own figures (process_working_set_bytes and the like, which the load test reads), then ours.
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("charlstm_http_requests_total", "HTTP requests answered, by route and status code.", "path", "status");
        _characters = factory.CreateCounter("charlstm_generated_characters_total", "Characters generated, by model.", "model");
        _firstCharacter = factory.CreateHistogram("charlstm_time_to_first_character_seconds",
            "Seconds from a completion request's arrival to its first generated character, by model.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        var queued = factory.CreateGauge("charlstm_queued_streams", "Streams admitted and waiting for a slot in the model's batch.", "model");
        var active = factory.CreateGauge("charlstm_active_streams", "Streams generating in the model's shared batch.", "model");
        // Read the schedulers when scraped, so the gauges are never stale and the generation loop does no bookkeeping.
        Registry.AddBeforeCollectCallback(() =>
        {
            foreach (var model in models.All)
            {
                queued.WithLabels(model.Name).Set(model.Scheduler.Queued);
                active.WithLabels(model.Name).Set(model.Scheduler.Active);
            }
        });
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public void Answered(string path, int status) => _requests.WithLabels(path, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    public void Generated(string model, int characters) => _characters.WithLabels(model).Inc(characters);

    public void FirstCharacter(string model, TimeSpan elapsed) => _firstCharacter.WithLabels(model).Observe(elapsed.TotalSeconds);
}
