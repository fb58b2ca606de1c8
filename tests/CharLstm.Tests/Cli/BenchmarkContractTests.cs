using System.Text.Json;
using CharLstm.Cli.Commands.Bench;
using CharLstm.Model;
using CharLstm.Numerics;

namespace CharLstm.Tests.Cli;

/// <summary>
/// Every mode of the bench verb's engine prints the JSON contract of bench/README.md with positive
/// rates (tiny model, a fraction of a second per repetition: this checks the contract, not speed).
/// </summary>
public sealed class BenchmarkContractTests
{
    private static readonly BenchmarkConfig Tiny = new("T1", Vocab: 20, Embedding: 8, Hidden: 16, Layers: 2, Batch: 4, Seq: 5);

    [Theory]
    [InlineData(BenchmarkMode.Train, 1, "chars/s")]
    [InlineData(BenchmarkMode.Generate, 3, "chars/s")]
    [InlineData(BenchmarkMode.Sgemm, 1, "GFLOP/s")]
    [InlineData(BenchmarkMode.Peak, 1, "GFLOP/s")]
    public void Each_mode_prints_the_contract_with_positive_rates(BenchmarkMode mode, int genBatch, string unit)
    {
        var settings = new BenchmarkSettings(Tiny, mode, GenBatch: genBatch, Threads: 2, Seconds: 0.02, Reps: 2, Warmup: 1);
        var result = BenchmarkRunner.Run(settings);
        using var json = JsonDocument.Parse(result.ToJson());
        var root = json.RootElement;
        Assert.Equal("charlstm", root.GetProperty("engine").GetString());
        Assert.Equal(mode.ToString().ToLowerInvariant(), root.GetProperty("mode").GetString());
        Assert.Equal(unit, root.GetProperty("unit").GetString());
        // The threads that ran: generation of this tiny model is one thread's work (UsefulThreads).
        Assert.Equal(mode == BenchmarkMode.Generate ? 1 : 2, root.GetProperty("threads").GetInt32());
        var reps = root.GetProperty("reps").EnumerateArray().Select(r => r.GetDouble()).ToArray();
        Assert.Equal(2, reps.Length);
        Assert.All(reps, r => Assert.True(r > 0 && double.IsFinite(r), $"rate {r}"));
        Assert.True(root.GetProperty("median").GetDouble() > 0);
        // Which cache blocking ran, and the caches it came from.
        var blocking = root.GetProperty("blocking");
        Assert.Equal(MatMul.DepthBlock, blocking.GetProperty("depth").GetInt32());
        Assert.Equal(MatMul.ColumnBlock, blocking.GetProperty("columns").GetInt32());
        Assert.Equal(CacheSizes.Machine.L1Data, blocking.GetProperty("l1d_bytes").GetInt64());
        Assert.Equal(CacheSizes.Machine.Source, blocking.GetProperty("cache_source").GetString());
        if (mode == BenchmarkMode.Sgemm)
        {
            var names = root.GetProperty("shapes").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();
            Assert.Equal(["input_l0", "input_upper", "recurrent", "recurrent_backward", "input_grad", "weight_grad", "head", "gen32_l0", "gen32_upper", "square2048"], names);
            // Shapes whose B is a weight matrix are also timed with B packed once, as the engine runs them.
            foreach (var shape in root.GetProperty("shapes").EnumerateArray())
            {
                bool weightB = shape.GetProperty("name").GetString() is not ("weight_grad" or "square2048");
                Assert.Equal(weightB, shape.TryGetProperty("packed_median", out var packedMedian));
                if (weightB) Assert.True(packedMedian.GetDouble() > 0);
            }
        }
    }

    [Theory]
    [InlineData(BenchmarkMode.Train, 1, "WeightGradients")]
    [InlineData(BenchmarkMode.Generate, 1, "LayerProducts")]
    [InlineData(BenchmarkMode.Generate, 3, "LayerProducts")]
    public void Profile_shares_name_the_step_phases_and_add_up_to_at_most_the_measured_time(BenchmarkMode mode, int genBatch, string expectedPhase)
    {
        // Two 16-unit gate groups, so the calling thread (whose view the generation profile is) owns one.
        var settings = new BenchmarkSettings(Tiny with { Hidden = 32 }, mode, GenBatch: genBatch, Threads: 2, Seconds: 0.02, Reps: 2, Warmup: 1, Profile: true);
        using var json = JsonDocument.Parse(BenchmarkRunner.Run(settings).ToJson());
        var shares = json.RootElement.GetProperty("profile").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Contains(expectedPhase, shares.Keys);
        Assert.All(shares.Keys, name => Assert.True(Enum.TryParse<StepPhase>(name, out _), name));
        Assert.All(shares.Values, v => Assert.InRange(v, 0.0, 1.0));
        Assert.InRange(shares.Values.Sum(), 0.5, 1.001);
    }
}
