namespace CharLstm.Training;

/// <summary>
/// An optimizer over the flat parameter buffer, following PyTorch's update rule exactly; its state
/// (moments, buffers, step count) is exposed by name so checkpoints resume bit for bit.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Learning rate for the next step (the schedule sets it).</summary>
    public double LearningRate { get; set; }

    /// <summary>L2 penalty added to the gradient as PyTorch's <c>weight_decay</c> does; default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != gradients.Length) throw new ArgumentException("Parameters and gradients differ in length.");
        StepCount++;
        Update(parameters, gradients);
    }

    /// <summary>The rule itself; <see cref="StepCount"/> is already the 1-based step number.</summary>
    protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients);

    /// <summary>The optimizer's name as used in configuration files (<c>adam</c>, <c>rmsprop</c>, <c>sgd</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Named state buffers, each as long as the parameter buffer.</summary>
    public abstract IReadOnlyDictionary<string, float[]> StateBuffers { get; }

    /// <summary>Restores the step count (buffers are restored in place through <see cref="StateBuffers"/>).</summary>
    public void RestoreStepCount(long steps) => StepCount = steps;

    /// <summary>Builds the optimizer called <paramref name="name"/> with PyTorch's defaults, at <paramref name="learningRate"/>.</summary>
    public static Optimizer Create(string name, int parameterCount, double learningRate, double momentum = 0.9, double weightDecay = 0) => name switch
    {
        "adam" => new Adam(parameterCount, learningRate) { WeightDecay = weightDecay },
        "rmsprop" => new RmsProp(parameterCount, learningRate) { WeightDecay = weightDecay },
        "sgd" => new Sgd(parameterCount, learningRate, momentum) { WeightDecay = weightDecay },
        _ => throw new ArgumentException($"unknown optimizer '{name}'; use adam, rmsprop or sgd."),
    };

    /// <summary>The gradient with weight decay applied (PyTorch adds <c>wd·p</c> before the rule).</summary>
    protected float Decayed(float g, float p) => WeightDecay == 0 ? g : g + (float)WeightDecay * p;
}
