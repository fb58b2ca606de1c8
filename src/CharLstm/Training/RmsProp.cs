namespace CharLstm.Training;

/// <summary>RMSprop, PyTorch defaults: α = 0.99, ε = 1e-8, learning rate 0.01 (the Keras lab's choice).</summary>
public sealed class RmsProp : Optimizer
{
    private readonly float[] _square, _buffer, _gradAvg; // (P) running mean of g², momentum buffer, running mean of g

    /// <summary>Creates RMSprop for <paramref name="parameterCount"/> parameters.</summary>
    public RmsProp(int parameterCount, double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double momentum = 0, bool centered = false)
    {
        _square = new float[parameterCount];
        _buffer = momentum > 0 ? new float[parameterCount] : [];
        _gradAvg = centered ? new float[parameterCount] : [];
        LearningRate = learningRate; Alpha = alpha; Epsilon = epsilon; Momentum = momentum; Centered = centered;
    }

    /// <summary>Smoothing constant of the running mean of squares.</summary>
    public double Alpha { get; }
    /// <summary>Added to the denominator.</summary>
    public double Epsilon { get; }
    /// <summary>Momentum factor (0: none).</summary>
    public double Momentum { get; }
    /// <summary>Normalise by the variance estimate rather than the raw second moment.</summary>
    public bool Centered { get; }
    /// <inheritdoc />
    public override string Name => "rmsprop";
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, float[]> StateBuffers
    {
        get
        {
            var d = new Dictionary<string, float[]> { ["square_avg"] = _square };
            if (_buffer.Length > 0) d["momentum_buffer"] = _buffer;
            if (_gradAvg.Length > 0) d["grad_avg"] = _gradAvg;
            return d;
        }
    }

    /// <inheritdoc />
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        float a = (float)Alpha, oneMinusA = (float)(1 - Alpha), eps = (float)Epsilon, lr = (float)LearningRate, mom = (float)Momentum;
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = Decayed(gradients[i], parameters[i]);
            float sq = a * _square[i] + oneMinusA * g * g;
            _square[i] = sq;
            float avg;
            if (Centered)
            {
                float ga = _gradAvg[i] + (g - _gradAvg[i]) * oneMinusA;
                _gradAvg[i] = ga;
                avg = MathF.Sqrt(sq - ga * ga) + eps;
            }
            else avg = MathF.Sqrt(sq) + eps;
            if (mom > 0)
            {
                float buf = mom * _buffer[i] + g / avg;
                _buffer[i] = buf;
                parameters[i] -= lr * buf;
            }
            else parameters[i] -= lr * g / avg;
        }
    }
}
