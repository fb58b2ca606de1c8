namespace CharLstm.Training;

/// <summary>Learning-rate schedules.</summary>
public enum ScheduleKind
{
    /// <summary>The same rate throughout.</summary>
    Constant,
    /// <summary>Multiply by <see cref="TrainingOptions.DecayFactor"/> every <see cref="TrainingOptions.DecayEvery"/> steps (char-rnn style).</summary>
    Step,
    /// <summary>
    /// Linear warm-up over <see cref="TrainingOptions.WarmupSteps"/>, then cosine down to
    /// <see cref="TrainingOptions.MinLearningRateFraction"/> of the peak at the horizon (nanoGPT style).
    /// </summary>
    Cosine,
}
