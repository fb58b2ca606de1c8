namespace CharLstm.Sampling;

/// <summary>
/// How the next character is drawn from the model's logits. Every value is checked when the options
/// are made (also through <c>with</c>), so options that exist are valid.
/// </summary>
/// <param name="Temperature">Divides the logits; 0 means argmax (greedy), 1 the model's own distribution.</param>
/// <param name="TopK">Keep only the K most likely characters (0: all).</param>
/// <param name="TopP">Nucleus sampling: keep the smallest set whose probability reaches P (1: all).</param>
/// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, float TopP = 1f)
{
    private readonly float _temperature = CheckTemperature(Temperature);
    private readonly int _topK = CheckTopK(TopK);
    private readonly float _topP = CheckTopP(TopP);

    /// <summary>Divides the logits; 0 means argmax (greedy), 1 the model's own distribution.</summary>
    public float Temperature { get => _temperature; init => _temperature = CheckTemperature(value); }

    /// <summary>Keep only the K most likely characters (0: all).</summary>
    public int TopK { get => _topK; init => _topK = CheckTopK(value); }

    /// <summary>Nucleus sampling: keep the smallest set whose probability reaches P (1: all).</summary>
    public float TopP { get => _topP; init => _topP = CheckTopP(value); }

    private static float CheckTemperature(float value) => value >= 0f && !float.IsInfinity(value)
        ? value : throw new ArgumentException($"temperature must be 0 or more, got {value}.");

    private static int CheckTopK(int value) => value >= 0
        ? value : throw new ArgumentException($"top-k must be 0 (off) or more, got {value}.");

    private static float CheckTopP(float value) => value > 0f && value <= 1f
        ? value : throw new ArgumentException($"top-p must be in (0, 1], got {value}.");
}
