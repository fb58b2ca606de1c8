namespace CharLstm.Training;

/// <summary>The learning rate at a given step.</summary>
public static class LearningRateSchedule
{
    /// <summary>Rate for 0-based <paramref name="step"/> of a run planned for <paramref name="horizon"/> steps.</summary>
    public static double At(TrainingOptions o, long step, long horizon)
    {
        switch (o.Schedule)
        {
            case ScheduleKind.Step:
                return o.LearningRate * Math.Pow(o.DecayFactor, step / o.DecayEvery);
            case ScheduleKind.Cosine:
                if (step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
                double min = o.LearningRate * o.MinLearningRateFraction;
                if (horizon <= o.WarmupSteps) return o.LearningRate;
                double progress = Math.Min(1.0, (double)(step - o.WarmupSteps) / (horizon - o.WarmupSteps));
                return min + 0.5 * (o.LearningRate - min) * (1 + Math.Cos(Math.PI * progress));
            default:
                return o.LearningRate;
        }
    }
}
