using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

/// <summary>Adam (Kingma &amp; Ba), PyTorch defaults: β = (0.9, 0.999), ε = 1e-8; our default learning rate 2e-3.</summary>
public sealed class Adam : Optimizer
{
    private readonly float[] _m, _v; // (P) first and second moments

    /// <summary>Creates Adam for <paramref name="parameterCount"/> parameters.</summary>
    public Adam(int parameterCount, double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _m = new float[parameterCount]; _v = new float[parameterCount];
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon;
    }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }
    /// <summary>Added to the denominator.</summary>
    public double Epsilon { get; }
    /// <inheritdoc />
    public override string Name => "adam";
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, float[]> StateBuffers => new Dictionary<string, float[]> { ["exp_avg"] = _m, ["exp_avg_sq"] = _v };

    /// <inheritdoc />
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        // As torch.optim.Adam (single-tensor path): m ← m + (g − m)(1−β1); v ← β2 v + (1−β2) g²;
        // p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε).
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        float b1 = (float)(1 - Beta1), b2 = (float)Beta2, oneMinusB2 = (float)(1 - Beta2);
        float stepSize = (float)(LearningRate / bc1), invBc2Sqrt = (float)(1 / bc2Sqrt), eps = (float)Epsilon;
        int start = 0;
        if (WeightDecay == 0 && Vector256.IsHardwareAccelerated)
        {
            // The same operations lane by lane (no fused multiply-adds), so the same bits as the loop below.
            var vb1 = Vector256.Create(b1); var vb2 = Vector256.Create(b2); var v1mb2 = Vector256.Create(oneMinusB2);
            var vStep = Vector256.Create(stepSize); var vInv = Vector256.Create(invBc2Sqrt); var vEps = Vector256.Create(eps);
            ref float pRef = ref MemoryMarshal.GetReference(parameters);
            ref float gRef = ref MemoryMarshal.GetReference(gradients);
            ref float mRef = ref MemoryMarshal.GetArrayDataReference(_m);
            ref float vRef = ref MemoryMarshal.GetArrayDataReference(_v);
            for (; start + 8 <= parameters.Length; start += 8)
            {
                nuint o = (nuint)start;
                var g = Vector256.LoadUnsafe(ref gRef, o);
                var m0 = Vector256.LoadUnsafe(ref mRef, o);
                var m = m0 + (g - m0) * vb1;
                var v = vb2 * Vector256.LoadUnsafe(ref vRef, o) + v1mb2 * g * g;
                m.StoreUnsafe(ref mRef, o);
                v.StoreUnsafe(ref vRef, o);
                (Vector256.LoadUnsafe(ref pRef, o) - vStep * m / (Vector256.Sqrt(v) * vInv + vEps)).StoreUnsafe(ref pRef, o);
            }
        }
        for (int i = start; i < parameters.Length; i++)
        {
            float g = Decayed(gradients[i], parameters[i]);
            float m = _m[i] + (g - _m[i]) * b1;
            float v = b2 * _v[i] + oneMinusB2 * g * g;
            _m[i] = m; _v[i] = v;
            parameters[i] -= stepSize * m / (MathF.Sqrt(v) * invBc2Sqrt + eps);
        }
    }
}

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

/// <summary>Global-norm gradient clipping and the guarded optimizer step.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> so their global L2 norm is at most <paramref name="maxNorm"/>
    /// (PyTorch's <c>clip_grad_norm_</c>: coefficient min(1, max/(norm + 1e-6))) and returns the norm
    /// before clipping. <paramref name="maxNorm"/> ≤ 0 only measures. A non-finite norm is returned
    /// unchanged and the gradients are left alone.
    /// </summary>
    public static double ClipByGlobalNorm(Span<float> gradients, double maxNorm)
    {
        double sum = 0;
        foreach (float g in gradients) sum += (double)g * g;
        double norm = Math.Sqrt(sum);
        if (maxNorm > 0 && double.IsFinite(norm))
        {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1)
            {
                float c = (float)coef;
                for (int i = 0; i < gradients.Length; i++) gradients[i] *= c;
            }
        }
        return norm;
    }
}
