namespace CharLstm.IO;

/// <summary>What a model file records about the run that made it.</summary>
/// <param name="CorpusName">Name of the training corpus.</param>
/// <param name="CorpusSha256">sha256 of its bytes.</param>
/// <param name="CharactersSeen">Training characters processed.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="BestValidationLoss">Best validation loss in nats/char (NaN: none).</param>
/// <param name="Date">When the file was written (UTC).</param>
/// <param name="ToolVersion">CharLstm version that wrote it.</param>
public sealed record TrainingSummary(string CorpusName, string CorpusSha256, long CharactersSeen, long Steps,
    double BestValidationLoss, DateTimeOffset Date, string ToolVersion);
