using CharLstm.Numerics;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>How one benchmark run is made. Defaults follow the PyTorch peer.</summary>
public sealed record BenchmarkSettings
{
    /// <summary>Model and batch.</summary>
    public required BenchmarkConfig Config { get; init; }
    /// <summary>What to measure.</summary>
    public BenchmarkMode Mode { get; init; } = BenchmarkMode.Train;
    /// <summary>Streams sampled at once in <see cref="BenchmarkMode.Generate"/>.</summary>
    public int GenBatch { get; init; } = 1;
    /// <summary>Compute threads.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Minimum measured seconds per repetition (per shape in sgemm).</summary>
    public double Seconds { get; init; } = 5;
    /// <summary>Repetitions.</summary>
    public int Reps { get; init; } = 5;
    /// <summary>Untimed steps before measuring.</summary>
    public int Warmup { get; init; } = 3;
    /// <summary>Seed of the model's initialisation, the random batches and the sampler.</summary>
    public ulong Seed { get; init; } = 1234;
    /// <summary>Training and generation: also time each phase of the step (adds a timestamp per phase; reported as <c>profile</c>).</summary>
    public bool Profile { get; init; }
    /// <summary>Preset fields overridden on the command line (recorded in the output).</summary>
    public IReadOnlyDictionary<string, int> Overrides { get; init; } = new Dictionary<string, int>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Config.Model.Validate();
        if (Config.Batch < 1 || Config.Seq < 1) throw new ArgumentException($"batch and seq must be at least 1, got {Config.Batch} and {Config.Seq}.");
        if (GenBatch < 1) throw new ArgumentException($"--gen-batch must be at least 1, got {GenBatch}.");
        if (!ComputeThreads.IsValid(Threads)) throw new ArgumentException(ComputeThreads.RangeMessage("--threads", Threads));
        if (!(Seconds > 0) || double.IsInfinity(Seconds)) throw new ArgumentException($"--seconds must be positive, got {Seconds}.");
        if (Reps < 1) throw new ArgumentException($"--reps must be at least 1, got {Reps}.");
        if (Warmup < 0) throw new ArgumentException($"--warmup must be 0 or more, got {Warmup}.");
    }
}
