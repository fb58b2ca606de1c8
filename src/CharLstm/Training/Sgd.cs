namespace CharLstm.Training;

/// <summary>SGD with momentum, as PyTorch (dampening 0): buf ← μ·buf + g (buf = g on the first step); p ← p − lr·buf.</summary>
public sealed class Sgd : Optimizer
{
    private readonly float[] _buffer; // (P) momentum buffer

    /// <summary>Creates SGD for <paramref name="parameterCount"/> parameters.</summary>
    public Sgd(int parameterCount, double learningRate, double momentum = 0.9, bool nesterov = false)
    {
        _buffer = new float[parameterCount];
        LearningRate = learningRate; Momentum = momentum; Nesterov = nesterov;
    }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }
    /// <summary>Use Nesterov momentum.</summary>
    public bool Nesterov { get; }
    /// <inheritdoc />
    public override string Name => "sgd";
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, float[]> StateBuffers => new Dictionary<string, float[]> { ["momentum_buffer"] = _buffer };

    /// <inheritdoc />
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        float mom = (float)Momentum, lr = (float)LearningRate;
        bool first = StepCount == 1;
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = Decayed(gradients[i], parameters[i]);
            if (mom != 0)
            {
                float buf = first ? g : mom * _buffer[i] + g;
                _buffer[i] = buf;
                g = Nesterov ? g + mom * buf : buf;
            }
            parameters[i] -= lr * g;
        }
    }
}
