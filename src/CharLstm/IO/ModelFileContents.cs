using CharLstm.Data;
using CharLstm.Model;

namespace CharLstm.IO;

/// <summary>What a model file holds: the network's parameters, its vocabulary and, when known, the run that made it.</summary>
/// <param name="Network">The LSTM's shape and parameters.</param>
/// <param name="Vocabulary">The characters the model knows, sorted; as many as the network's vocabulary size.</param>
/// <param name="Summary">What is known of the training run (null: nothing).</param>
/// <param name="TextOptions">How the training text was read (lower-cased, newlines normalised); null: not recorded,
/// the text as it is.</param>
public sealed record ModelFileContents(LstmModel Network, Vocabulary Vocabulary, TrainingSummary? Summary = null, CorpusOptions? TextOptions = null);
