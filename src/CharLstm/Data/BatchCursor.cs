namespace CharLstm.Data;

/// <summary>A position in the batch sequence: which epoch, and which batch within it. Saved in checkpoints.</summary>
/// <param name="Epoch">Completed passes over the training text (0 during the first).</param>
/// <param name="Batch">The batch within the epoch, in [0, <see cref="TrainingBatches.BatchesPerEpoch"/>).</param>
public readonly record struct BatchCursor(int Epoch, int Batch);
