namespace CharLstm.Training;

/// <summary>Named starting points; each changes only what differs from <see cref="TrainingOptions"/>' defaults.</summary>
public static class Presets
{
    /// <summary>Preset names, for help text and error messages.</summary>
    public static readonly string[] Names = ["default", "keras-lab", "char-rnn"];

    /// <summary>The options of preset <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such preset.</exception>
    public static TrainingOptions Get(string name) => name switch
    {
        // The project's own default: 2×256 LSTM over a 64-wide embedding, Adam 4e-3 held then decayed over the last fifth
        // (WSD), batch 32×100; with --time and no size given, the size comes from BudgetSizing.
        "default" => new TrainingOptions(),
        // The Keras text-generation lab: one-hot input, one LSTM of 128, sequences of 40, RMSprop 0.01,
        // batch 128. (Keras scores only the last position of each window; we score every position.)
        "keras-lab" => new TrainingOptions
        {
            Layers = 1, HiddenSize = 128, EmbeddingSize = 0, Dropout = 0, ForgetBiasOne = false,
            Batch = 128, SeqLen = 40, Optimizer = "rmsprop", LearningRate = 0.01, Schedule = ScheduleKind.Constant, Clip = 0,
        },
        // Karpathy's char-rnn defaults: 2×128, one-hot, seq 50, batch 50, Adam 2e-3, clip 5,
        // learning rate × 0.97 per epoch after the tenth (approximated here by steps).
        "char-rnn" => new TrainingOptions
        {
            Layers = 2, HiddenSize = 128, EmbeddingSize = 0, Dropout = 0, ForgetBiasOne = false,
            Batch = 50, SeqLen = 50, Optimizer = "adam", LearningRate = 2e-3, Schedule = ScheduleKind.Constant, Clip = 5,
        },
        _ => throw new ArgumentException($"unknown preset '{name}'; choose one of: {string.Join(", ", Names)}."),
    };
}
