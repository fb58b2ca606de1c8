namespace CharLstm.Training;

/// <summary>A generated sample printed during training.</summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="Prompt">The corpus snippet it continues.</param>
/// <param name="Text">The generated continuation.</param>
public sealed record SampleReport(long Step, float Temperature, string Prompt, string Text);
