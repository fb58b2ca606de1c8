// Saves a model file and a checkpoint into the folder given, over and over, with contents that change every
// round, and prints "saved N" after round N is completely on disk. The crash-safety test kills it at random
// moments and checks what a later run finds. Usage: CharLstm.SaveChild <folder> <first round>
using System.Globalization;
using CharLstm;
using CharLstm.Data;
using CharLstm.IO;
using CharLstm.Model;
using CharLstm.SaveChild;
using CharLstm.Training;

string folder = args[0];
long round = long.Parse(args[1], CultureInfo.InvariantCulture);
// What a starting run does first: remove temporaries an earlier, killed process left.
AtomicFile.CleanStaleTemporaries(folder);

var vocabulary = Vocabulary.Build(TextScalars.FromString("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?\n🙂"));
var options = new TrainingOptions { Layers = 2, HiddenSize = 256, EmbeddingSize = 32, Batch = 1, Threads = 1 };
var network = new LstmModel(options.ModelConfig(vocabulary.Size));
var model = new CharLanguageModel(network, vocabulary);
float[] moment = new float[network.Parameters.Length];
Console.WriteLine($"ready {network.Parameters.Length * 4 / 1_000_000.0:F1} MB per tensor set");

for (; ; round++)
{
    SaveChildPattern.Fill(network.Parameters, round);
    SaveChildPattern.Fill(moment, round + 1);
    var checkpoint = new TrainingCheckpoint(
        Options: options, Config: network.Config, Parameters: network.Parameters, Vocabulary: vocabulary.ToStrings(),
        CorpusName: "child", CorpusSha256: new string('0', 64), OptimizerName: "adam", OptimizerSteps: round,
        OptimizerBuffers: new Dictionary<string, float[]> { ["m"] = moment, ["v"] = moment }, RngState: [1, 2, 3, (ulong)round],
        Epoch: 0, BatchIndex: 0, StateH: new float[options.Layers * options.HiddenSize], StateC: new float[options.Layers * options.HiddenSize],
        Step: round, CharactersSeen: round, SkippedSteps: 0, ConsecutiveSkipped: 0, BestValidationLoss: 1, ElapsedSeconds: 0, Metrics: []);
    // The order of the CLI: checkpoint, then model.
    CheckpointFile.Save(checkpoint, Path.Combine(folder, "last.checkpoint.safetensors"));
    model.Summary = new TrainingSummary("child", new string('0', 64), round, round, 1, DateTimeOffset.UnixEpoch, "0");
    model.Save(Path.Combine(folder, "last.safetensors"));
    Console.WriteLine($"saved {round}");
}

namespace CharLstm.SaveChild
{
    /// <summary>The values of round N, so the test can tell a file of one round from a mix of two.</summary>
    public static class SaveChildPattern
    {
        /// <summary>Fills <paramref name="values"/> with the pattern of <paramref name="round"/>.</summary>
        public static void Fill(float[] values, long round)
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)((round * 7919 + i) % 10007) * 1e-4f;
        }
    }
}
