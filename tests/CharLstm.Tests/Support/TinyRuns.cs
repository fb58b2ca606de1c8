using System.Security.Cryptography;
using System.Text;
using CharLstm.Data;
using CharLstm.IO;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Training;

namespace CharLstm.Tests.Support;

/// <summary>Tiny corpora, models and training runs for the model-file and checkpoint tests; everything seeded.</summary>
internal static class TinyRuns
{
    private static readonly string[] Words = ["the ", "cat ", "sat ", "on ", "a ", "mat", ".\n", "dog ", "ran ", "🙂 ", "wörld "];

    /// <summary>A text of about <paramref name="length"/> characters of random words, with a non-BMP emoji in it.</summary>
    public static string Text(int length, ulong seed)
    {
        var rng = new Rng(seed);
        var sb = new StringBuilder();
        while (sb.Length < length) sb.Append(Words[rng.NextInt(Words.Length)]);
        return sb.ToString();
    }

    public static Corpus Corpus(string text, string name = "tiny.txt") =>
        new(name, "/tmp/" + name, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), TextScalars.FromString(text));

    /// <summary>Small enough to train a few dozen steps in well under a second; dropout on, Adam, cosine schedule.</summary>
    public static TrainingOptions Options { get; } = new()
    {
        Layers = 2, HiddenSize = 12, EmbeddingSize = 5, Dropout = 0.2f,
        Batch = 3, SeqLen = 10, ValFraction = 0.1,
        Optimizer = "adam", LearningRate = 1e-2, WarmupSteps = 5, Schedule = ScheduleKind.Cosine,
        Epochs = 1000, MaxSteps = 40, EvalInterval = 10, EvalChars = 0,
        SampleLength = 0, SampleTemperatures = [], Seed = 7, Threads = 1,
    };

    /// <summary>A trainer as the CLI builds one: a fresh model, or the checkpoint's vocabulary and shape when resuming.</summary>
    public static Trainer NewTrainer(Corpus corpus, TrainingOptions options, TrainingCheckpoint? resume = null)
    {
        var vocabulary = resume is null ? Vocabulary.Build(corpus.Scalars) : Vocabulary.FromStrings(resume.Vocabulary);
        var config = options.ModelConfig(vocabulary.Size);
        var network = resume is null ? LstmModel.CreateInitialized(config, new Rng(options.Seed), options.ForgetBiasOne) : new LstmModel(config);
        return new Trainer(network, vocabulary, corpus, EncodedCorpus.Encode(corpus, vocabulary), options, resume) { LogInterval = 5 };
    }

    /// <summary>An untrained model over <paramref name="text"/>'s characters, with a training summary.</summary>
    public static ModelFileContents NewModel(string text, int embedding = 5, int hidden = 12, int layers = 2, ulong seed = 3)
    {
        var vocabulary = Vocabulary.Build(TextScalars.FromString(text));
        var network = LstmModel.CreateInitialized(new ModelConfig(vocabulary.Size, embedding, hidden, layers, 0.1f), new Rng(seed), forgetBiasOne: true);
        return new ModelFileContents(network, vocabulary,
            new TrainingSummary("tiny.txt", new string('a', 64), 12_345, 67, 1.875, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), "0.1.0"));
    }

    /// <summary>A checkpoint after a few steps of a tiny run.</summary>
    public static TrainingCheckpoint Checkpoint(int steps = 3)
    {
        var corpus = Corpus(Text(600, 11));
        var trainer = NewTrainer(corpus, Options with { MaxSteps = steps, EvalInterval = 2 });
        trainer.Run();
        return trainer.CaptureCheckpoint();
    }

    /// <summary>Writes the trainer's network and vocabulary as a model file.</summary>
    public static void SaveModel(Trainer trainer, string path) => ModelFile.Save(path, new ModelFileContents(trainer.Network, trainer.Vocabulary));

    public static byte[] Bytes(List<TensorEntry> tensors, Dictionary<string, string> metadata)
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    public static byte[] Bytes(ModelFileContents model)
    {
        var (tensors, metadata) = ModelFile.Contents(model);
        return Bytes(tensors, metadata);
    }

    public static byte[] Bytes(TrainingCheckpoint checkpoint)
    {
        var (tensors, metadata) = CheckpointFile.Contents(checkpoint);
        return Bytes(tensors, metadata);
    }

    public static ModelFileContents LoadModel(byte[] file) =>
        ModelFile.Read(SafeTensors.Read(new MemoryStream(file), file.Length), "'test.safetensors'");

    public static TrainingCheckpoint LoadCheckpoint(byte[] file) =>
        CheckpointFile.Read(SafeTensors.Read(new MemoryStream(file), file.Length), "'test.checkpoint.safetensors'");
}
