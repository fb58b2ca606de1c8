using BenchmarkDotNet.Attributes;
using CharLstm.Cli.Commands.Bench;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Ops;
using CharLstm.Sampling;

namespace CharLstm.Benchmarks;

/// <summary>The matrix multiply on the LSTM's shapes (bench/README.md names), B packed as the engine packs weights.</summary>
[MemoryDiagnoser]
public unsafe class MatMulBenchmarks : IDisposable
{
    private float[] _a = [], _c = [];
    private PackedMatrix _b = new();
    private ThreadTeam _team = null!;
    private int _m, _k, _n;

    /// <summary>Configuration and shape, e.g. <c>T3 recurrent</c>.</summary>
    [Params("T1 recurrent", "T1 input_upper", "T1 weight_grad", "T3 recurrent", "T3 input_upper", "T3 weight_grad", "T3 head")]
    public string Shape { get; set; } = "";

    /// <summary>Compute threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split(' ');
        (_, _m, _k, _n, _) = BenchmarkRunner.SgemmShapes(BenchmarkConfig.Presets[parts[0]]).Single(s => s.Name == parts[1]);
        var rng = new Rng(1);
        _a = Enumerable.Range(0, _m * _k).Select(_ => rng.NextUniform(-1, 1)).ToArray();
        var b = Enumerable.Range(0, _k * _n).Select(_ => rng.NextUniform(-1, 1)).ToArray();
        _c = new float[_m * _n];
        _team = new ThreadTeam(Threads);
        fixed (float* pb = b) _b.Pack(_team, MatrixView.Dense(pb, _k, _n));
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _team.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>C = A·B (2·M·K·N flops).</summary>
    [Benchmark]
    public void Multiply()
    {
        fixed (float* a = _a, c = _c) MatMul.Multiply(_team, MatrixView.Dense(c, _m, _n), MatrixView.Dense(a, _m, _k), _b, accumulate: false);
    }
}

/// <summary>The fused pointwise cell step for one time step of a batch.</summary>
[MemoryDiagnoser]
public class CellBenchmarks
{
    private float[] _gates = [], _work = [], _cPrev = [], _c = [], _tanhC = [], _h = [], _dGates = [], _dc = [], _dh = [];

    /// <summary>Batch × hidden: T1 (50 × 128) and T3 (64 × 512).</summary>
    [Params("50x128", "64x512")]
    public string Size { get; set; } = "";

    // Parsed once in Setup: parsing Size inside the measured methods allocated 208 B per operation,
    // which BenchmarkDotNet reported as the cell's.
    private int _batch, _hidden;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Size.Split('x');
        _batch = int.Parse(parts[0]);
        _hidden = int.Parse(parts[1]);
        var rng = new Rng(2);
        int n = _batch * _hidden;
        float[] Fill(int count, float scale) => Enumerable.Range(0, count).Select(_ => rng.NextUniform(-scale, scale)).ToArray();
        _gates = Fill(4 * n, 3); _work = new float[4 * n]; _cPrev = Fill(n, 1);
        _c = new float[n]; _tanhC = new float[n]; _h = new float[n];
        _dGates = new float[4 * n]; _dc = Fill(n, 1); _dh = Fill(n, 1);
    }

    /// <summary>Gates → c, tanh(c), h.</summary>
    [Benchmark]
    public void Forward()
    {
        _gates.CopyTo(_work, 0);
        LstmCell.Forward(_c, _tanhC, _h, _work, _cPrev, _batch, _hidden);
    }

    /// <summary>dh, dc → dGates, dc.</summary>
    [Benchmark]
    public void Backward() => LstmCell.Backward(_dGates, _dc, _dh, _work, _cPrev, _tanhC, _batch, _hidden);
}

/// <summary>Softmax at temperature 1 and one draw over a 65-character vocabulary.</summary>
[MemoryDiagnoser]
public class SamplingBenchmarks
{
    private readonly Sampler _sampler = new(65);
    private readonly SamplingOptions _options = new(Temperature: 1f);
    private readonly Rng _rng = new(3);
    private float[] _logits = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(4);
        _logits = Enumerable.Range(0, 65).Select(_ => rng.NextUniform(-4, 4)).ToArray();
    }

    /// <summary>One character drawn.</summary>
    [Benchmark]
    public int Sample() => _sampler.Sample(_logits, _options, _rng);
}

/// <summary>One generated character per stream: the session step and the draw. Must allocate nothing.</summary>
[MemoryDiagnoser]
public class GenerationBenchmarks : IDisposable
{
    private GenerationSession _session = null!;
    private readonly SamplingOptions _options = new(Temperature: 1f);
    private Rng[] _rngs = [];
    private int[] _tokens = [];

    /// <summary>Preset (T1: 2 × 128 one-hot; T3: 2 × 512).</summary>
    [Params("T1", "T3")]
    public string Config { get; set; } = "";

    /// <summary>Streams.</summary>
    [Params(1, 32)]
    public int Streams { get; set; }

    /// <summary>Compute threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var cfg = BenchmarkConfig.Presets[Config].Model;
        _session = new GenerationSession(new InferenceModel(LstmModel.CreateInitialized(cfg, new Rng(6))), Streams, Threads);
        _rngs = Enumerable.Range(0, Streams).Select(b => new Rng(5 + (ulong)b)).ToArray();
        _tokens = new int[Streams];
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _session.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Step + sample for every stream (each stream its own generator, drawn on the team).</summary>
    [Benchmark]
    public int Step()
    {
        _session.StepAndSample(_tokens, _options, _rngs).CopyTo(_tokens);
        return _tokens[0];
    }
}
