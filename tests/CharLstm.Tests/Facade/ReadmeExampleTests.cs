using CharLstm.Data;
using CharLstm.Model;
using CharLstm.Numerics;
using CharLstm.Training;

namespace CharLstm.Tests.Facade;

/// <summary>The README's library example, on a generated corpus: the documented API must keep working.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public void Library_example_trains_saves_loads_generates_and_evaluates()
    {
        using var scratch = new CliRunner();
        string lyricsPath = scratch.WriteCorpus("lyrics.txt", sentences: 600);
        string modelPath = scratch.PathOf("lyrics.safetensors");

        // Train one (as in the README, with a short run).
        var corpus = CorpusLoader.LoadFile(lyricsPath, CorpusOptions.Default);
        var vocabulary = Vocabulary.Build(corpus.Scalars);
        var options = Presets.Get("char-rnn") with { MaxSteps = 40, HiddenSize = 32, Batch = 8, SeqLen = 24, Threads = 1, EvalInterval = 20, SampleLength = 0 };
        var network = LstmModel.CreateInitialized(options.ModelConfig(vocabulary.Size), new Rng(options.Seed));
        var trainer = new Trainer(network, vocabulary, corpus, EncodedCorpus.Encode(corpus, vocabulary), options);
        var losses = new List<float>();
        var evaluations = new List<double>();
        trainer.StepCompleted += s => losses.Add(s.Loss);
        trainer.Evaluated += e => evaluations.Add(e.Loss.MeanNats);
        Assert.Equal(StopReason.MaxSteps, trainer.Run(TestContext.Current.CancellationToken));
        new CharLanguageModel(network, vocabulary).Save(modelPath);
        Assert.Equal(40, losses.Count);
        Assert.True(losses[^1] < losses[0], "training did not reduce the loss");
        Assert.NotEmpty(evaluations);

        // Load a trained model and stream text from it.
        var model = CharLanguageModel.Load(modelPath);
        var pieces = model.Generate(new GenerationOptions { Prompt = "the ", Length = 50, Seed = 42, Sampling = new(Temperature: 0.8f, TopK: 20) }).ToList();
        Assert.Equal(50, pieces.Count);
        Assert.Equal(pieces, model.Generate(new GenerationOptions { Prompt = "the ", Length = 50, Seed = 42, Sampling = new(Temperature: 0.8f, TopK: 20) }));
        double loss = model.Evaluate(File.ReadAllText(lyricsPath)).Loss.MeanNats;
        Assert.InRange(loss, 0.1, Math.Log(vocabulary.Size) + 0.5);
    }
}
