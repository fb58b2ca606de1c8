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
    /// <summary>
    /// Warm-up, stable, decay: linear warm-up over <see cref="TrainingOptions.WarmupSteps"/>, the peak held, then a
    /// linear decay over the last <see cref="TrainingOptions.DecayFraction"/> of the run to
    /// <see cref="TrainingOptions.MinLearningRateFraction"/> of the peak. The run's length is its time budget when it has
    /// one (the decay then ends at the deadline, however many steps that is), else its horizon in steps.
    /// </summary>
    Wsd,
}
