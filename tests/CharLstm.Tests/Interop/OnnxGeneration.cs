// The C# example of docs/interop.md: the page's code block is this file from its first using on, and
// OnnxDocsTests.The_pages_csharp_example_is_the_tested_file fails when they differ.
using System.Globalization;
using System.Text;
using System.Text.Json;
using CharLstm.Numerics;
using CharLstm.Sampling;
using Microsoft.ML.OnnxRuntime;

namespace CharLstm.Tests.Interop;

/// <summary>
/// Text from a step graph (charlstm export MODEL --format onnx --graph step) in ONNX Runtime, drawn with CharLstm's
/// sampler: with the seed and sampling options of `charlstm generate`, the same text.
/// </summary>
public static class OnnxGeneration
{
    public static string Generate(string onnxPath, string prompt, int length, ulong seed, SamplingOptions sampling)
    {
        using var session = new InferenceSession(onnxPath);
        var metadata = session.ModelMetadata.CustomMetadataMap;
        string[] vocabulary = JsonSerializer.Deserialize<string[]>(metadata["charlstm.vocabulary"])!;
        int layers = int.Parse(metadata["charlstm.layers"], CultureInfo.InvariantCulture);
        int hidden = int.Parse(metadata["charlstm.hidden_size"], CultureInfo.InvariantCulture);

        // One stream (B = 1) from the zero state. The three inputs are views of these arrays, so writing an array
        // changes the next call's input: each call's hN and cN become the next call's h0 and c0.
        long[] ids = new long[1];
        float[] h = new float[layers * hidden], c = new float[layers * hidden], logits = new float[vocabulary.Length];
        using var idsInput = OrtValue.CreateTensorValueFromMemory(ids, [1, 1]);
        using var h0 = OrtValue.CreateTensorValueFromMemory(h, [layers, 1, hidden]);
        using var c0 = OrtValue.CreateTensorValueFromMemory(c, [layers, 1, hidden]);
        using var options = new RunOptions();
        void Step(int id)
        {
            ids[0] = id;
            using var outputs = session.Run(options, ["ids", "h0", "c0"], [idsInput, h0, c0], ["logits", "hN", "cN"]);
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(logits);
            outputs[1].GetTensorDataAsSpan<float>().CopyTo(h);
            outputs[2].GetTensorDataAsSpan<float>().CopyTo(c);
        }

        // Read the prompt, one character per call; the logits after its last character give the first new one.
        if (prompt.Length == 0) throw new ArgumentException("give a prompt of at least one character", nameof(prompt));
        foreach (Rune character in prompt.EnumerateRunes())
        {
            int id = Array.IndexOf(vocabulary, character.ToString());
            if (id < 0) throw new ArgumentException($"the model never saw '{character}'", nameof(prompt));
            Step(id);
        }

        // Draw each character as charlstm generate does: its sampler, and its generator seeded with the seed.
        var sampler = new Sampler(vocabulary.Length);
        var rng = new Rng(seed);
        var text = new StringBuilder();
        for (int i = 0; i < length; i++)
        {
            int next = sampler.Sample(logits, sampling, rng);
            text.Append(vocabulary[next]);
            if (i + 1 < length) Step(next);
        }
        return text.ToString();
    }
}
