using CharLstm.Numerics;

namespace CharLstm.Cli.Commands.Bench;

/// <summary>
/// <c>charlstm bench</c>: our side of the side-by-side benchmark (bench/README.md). Runs one
/// configuration and prints one JSON object on stdout; progress goes to stderr.
/// </summary>
internal static class BenchCommand
{
    // The preset fields a command line may override, as the peer names them.
    private static readonly string[] OverridableFields = ["vocab", "embedding", "hidden", "layers", "batch", "seq"];

    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Preset: T1, T2 or T3 (bench/README.md)", DefaultValueFactory = _ => "T1" };
        config.AcceptOnlyFromAmong([.. BenchmarkConfig.Presets.Keys]);
        var mode = new Option<string>("--mode")
        {
            Description = "train, generate, sgemm, or peak (GFLOP/s of "
            + "register-only FMAs: the machine's arithmetic ceiling)",
            DefaultValueFactory = _ => "train"
        };
        mode.AcceptOnlyFromAmong("train", "generate", "sgemm", "peak");
        var genBatch = new Option<int>("--gen-batch") { Description = "Streams sampled at once in generate mode", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Compute threads", DefaultValueFactory = _ => 1 };
        var seconds = new Option<double>("--seconds") { Description = "Measured seconds per repetition (per shape in sgemm)", DefaultValueFactory = _ => 5.0 };
        var reps = new Option<int>("--reps") { Description = "Repetitions", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps before measuring", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the model, the batches and the sampler", DefaultValueFactory = _ => 1234UL };
        var profile = new Option<bool>("--profile")
        {
            Description = "Training and generation: also report the share of time per "
            + "phase of the step (generation: as seen by the calling thread)"
        };
        var json = new Option<bool>("--json") { Description = "Accepted for symmetry with the peer; the output is always JSON" };
        var overrides = OverridableFields
            .Select(field => new Option<int?>($"--{field}") { Description = $"Override the preset's {field}" })
            .ToArray();

        var command = new Command("bench", """
            Measure training, generation or the matrix multiply on one configuration; prints one JSON object
            on standard output, progress on standard error. bench/README.md describes T1-T3 and the peer.

            Examples:
              charlstm bench --config T2 --mode train --threads 2 --seconds 3
              charlstm bench --config T1 --mode generate --gen-batch 32
              charlstm bench --mode sgemm --seconds 1 --reps 3
              charlstm bench --config T3 --mode train --profile --hidden 1024
            """)
        {
            config, mode, genBatch, threads, seconds, reps, warmup, seed, profile, json,
        };
        foreach (var option in overrides) command.Options.Add(option);

        command.SetAction(parse => Guarded.Run("bench", () =>
        {
            var preset = BenchmarkConfig.Presets[parse.GetValue(config)!];
            var given = overrides
                .Select(o => (Name: o.Name.TrimStart('-'), Value: parse.GetValue(o)))
                .Where(o => o.Value is not null)
                .ToDictionary(o => o.Name, o => o.Value!.Value);
            var chosen = preset with
            {
                Vocab = given.GetValueOrDefault("vocab", preset.Vocab),
                Embedding = given.GetValueOrDefault("embedding", preset.Embedding),
                Hidden = given.GetValueOrDefault("hidden", preset.Hidden),
                Layers = given.GetValueOrDefault("layers", preset.Layers),
                Batch = given.GetValueOrDefault("batch", preset.Batch),
                Seq = given.GetValueOrDefault("seq", preset.Seq),
            };
            var settings = new BenchmarkSettings(chosen, Enum.Parse<BenchmarkMode>(parse.GetValue(mode)!, ignoreCase: true),
                GenBatch: parse.GetValue(genBatch), Threads: parse.GetValue(threads), Seconds: parse.GetValue(seconds), Reps: parse.GetValue(reps),
                Warmup: parse.GetValue(warmup), Seed: parse.GetValue(seed), Profile: parse.GetValue(profile), Overrides: given);
            try { settings.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            Console.Error.WriteLine($"[charlstm bench] {chosen}, mode={settings.Mode}, threads={settings.Threads}, simd={MatrixProduct.Kernel}, "
                + $"blocking: {MatMulBlocking.Machine}");
            var result = BenchmarkRunner.Run(settings, Console.Error);
            Console.Out.WriteLine(result.ToJson());
            return ExitCodes.Ok;
        }));
        return command;
    }
}
