namespace CharLstm.Training;

/// <summary>The learning rate at a given step.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// Rate for 0-based <paramref name="step"/> of a run planned for <paramref name="horizon"/> steps;
    /// <paramref name="progress"/> is the share of the run done before this step, 0 to 1 (the WSD schedule's clock: the
    /// larger of the steps' share of the horizon and the elapsed share of the time budget).
    /// </summary>
    public static double At(TrainingOptions o, long step, long horizon, double progress = double.NaN)
    {
        switch (o.Schedule)
        {
            case ScheduleKind.Step:
                return o.LearningRate * Math.Pow(o.DecayFactor, step / o.DecayEvery);
            case ScheduleKind.Cosine:
                if (step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
                double min = o.LearningRate * o.MinLearningRateFraction;
                if (horizon <= o.WarmupSteps) return o.LearningRate;
                double cosine = Math.Min(1.0, (double)(step - o.WarmupSteps) / (horizon - o.WarmupSteps));
                return min + 0.5 * (o.LearningRate - min) * (1 + Math.Cos(Math.PI * cosine));
            case ScheduleKind.Wsd:
                if (step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
                double p = double.IsNaN(progress) ? (horizon > 0 ? (double)step / horizon : 0) : progress;
                double decayed = (Math.Clamp(p, 0, 1) - (1 - o.DecayFraction)) / o.DecayFraction;
                if (decayed <= 0) return o.LearningRate;
                double floor = o.LearningRate * o.MinLearningRateFraction;
                return o.LearningRate - (o.LearningRate - floor) * Math.Min(1, decayed);
            default:
                return o.LearningRate;
        }
    }
}
