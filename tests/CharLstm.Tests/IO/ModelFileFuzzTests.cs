using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CharLstm.IO;
using static CharLstm.Tests.Support.TinyRuns;

namespace CharLstm.Tests.IO;

/// <summary>
/// Damages valid model files and checkpoints in many ways (truncations, bit flips, edits of the metadata the
/// model-level checks read: vocabulary, hyperparameters, format version, shapes, tensor sets) and checks the
/// loaders' contract: a model or checkpoint comes out, or a <see cref="ModelFormatException"/>, and nothing else.
/// </summary>
public class ModelFileFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 4_2024;

    private static readonly string[] Values =
    [
        "", " ", "0", "1", "2", "-1", "+1", "3", "7", "8", "9", "12", "13", "1.5", "1e3", "0x10", "NaN", "Infinity", "-0",
        "2147483647", "2147483648", "-2147483648", "99999999999999999999", "16384", "65536", "2097152", "null", "[]", "{}",
        "[\"a\"]", "[\"a\",\"a\"]", "[\"ab\"]", "[\"\\ud800\"]", "[1]", "[null]", "\"x\"", "{\"steps\":1e999}", "ifgo", "iofg",
        ModelFile.FormatName, CheckpointFile.FormatName, "\u0000", "é", "🙂",
    ];

    [Fact]
    public void Every_mutant_loads_or_throws_model_format_exception()
    {
        var random = new Random(Seed);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        int mutants = 0;
        var stopwatch = Stopwatch.StartNew();

        var model = NewModel("hello, wörld 🙂\n", embedding: 4, hidden: 6, layers: 2);
        var (modelTensors, modelMeta) = ModelFile.Contents(model);
        var (cpTensors, cpMeta) = CheckpointFile.Contents(Checkpoint(steps: 3));
        var targets = new (string Name, List<TensorEntry> Tensors, Dictionary<string, string> Meta, Func<byte[], object> Load, int Count)[]
        {
            ("model", modelTensors, modelMeta, b => LoadModel(b), 6000),
            ("checkpoint", cpTensors, cpMeta, b => LoadCheckpoint(b), 4500),
        };
        foreach (var target in targets)
        {
            byte[] valid = Bytes(target.Tensors, target.Meta);
            Check($"{target.Name} unchanged", valid, target.Load, failures); // the base file must load
            foreach ((string kind, byte[] mutant) in Mutants(valid, target.Tensors, target.Meta, random).Take(target.Count))
            {
                mutants++;
                string outcome = target.Name + ":" + Check($"{target.Name} {kind}", mutant, target.Load, failures);
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }

        stopwatch.Stop();
        output.WriteLine($"{mutants} mutants in {stopwatch.ElapsedMilliseconds} ms:\n{string.Join("\n", outcomes.OrderBy(o => o.Key))}");
        Assert.True(failures.Count == 0, $"{failures.Count} mutants broke the contract:\n{string.Join("\n", failures.Take(20))}");
        Assert.True(mutants >= 10_000, $"only {mutants} mutants");
        // The mutations must reach the model-level checks, not only the container's.
        foreach (string expected in new[] { "model:loaded", "checkpoint:loaded", "model:BadVocabulary", "model:VocabularyMismatch", "model:ShapeMismatch",
            "model:MissingTensor", "model:UnexpectedTensor", "model:BadMetadata", "model:NewerVersion", "model:UnknownFormat", "checkpoint:BadMetadata" })
            Assert.True(outcomes.ContainsKey(expected), $"no mutant gave {expected}");
        // A hang detector, not a benchmark: about 2 s on an idle machine, several times that on a loaded 2-core one.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"{mutants} mutants took {stopwatch.Elapsed}");
    }

    private static string Check(string kind, byte[] mutant, Func<byte[], object> load, List<string> failures)
    {
        try
        {
            load(mutant);
            return "loaded";
        }
        catch (ModelFormatException e)
        {
            if (string.IsNullOrWhiteSpace(e.Message)) failures.Add($"{kind}: {e.Error} with an empty message");
            return e.Error.ToString();
        }
        catch (Exception e)
        {
            failures.Add($"{kind}: {e.GetType().Name}: {e.Message}");
            return "broken";
        }
    }

    private static IEnumerable<(string Kind, byte[] Mutant)> Mutants(byte[] valid, List<TensorEntry> tensors, Dictionary<string, string> meta, Random random)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        byte[] data = valid[(8 + headerLength)..];
        string json = Encoding.UTF8.GetString(valid, 8, headerLength).TrimEnd(' ');
        string[] keys = [.. meta.Keys.Order(StringComparer.Ordinal)];
        var tokens = System.Text.RegularExpressions.Regex.Matches(json, "\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+");

        // Interleave the kinds so any prefix of the sequence mixes them all.
        var kinds = new Func<int, (string, byte[])>[]
        {
            i => // truncations: everywhere in the header, at random in the data
            {
                int length = i % 2 == 0 ? random.Next(8 + headerLength + 1) : random.Next(valid.Length);
                return ($"truncated to {length}", valid[..length]);
            },
            i => // bit flips, half of them in the header where the checks are
            {
                byte[] mutant = (byte[])valid.Clone();
                int limit = i % 2 == 0 ? 8 + headerLength : mutant.Length;
                for (int f = random.Next(1, 4); f > 0; f--) mutant[random.Next(limit)] ^= (byte)(1 << random.Next(8));
                return ($"bit flips #{i}", mutant);
            },
            i => // a metadata value replaced
            {
                var edited = new Dictionary<string, string>(meta);
                string key = keys[random.Next(keys.Length)];
                string value = Values[random.Next(Values.Length)];
                if (random.Next(4) == 0) edited.Remove(key); else edited[key] = value;
                return ($"metadata {key} = '{value}'", Rewrite(tensors, edited));
            },
            i => // the vocabulary JSON edited
            {
                var entries = JsonSerializer.Deserialize<List<string>>(meta["charlstm.vocabulary"])!;
                string what;
                switch (random.Next(6))
                {
                    case 0: entries.RemoveAt(random.Next(entries.Count)); what = "removed an entry"; break;
                    case 1: entries.Insert(random.Next(entries.Count + 1), entries[random.Next(entries.Count)]); what = "duplicated an entry"; break;
                    case 2: entries[random.Next(entries.Count)] += "x"; what = "lengthened an entry"; break;
                    case 3: (entries[0], entries[^1]) = (entries[^1], entries[0]); what = "swapped entries"; break;
                    case 4: entries.Add("\U0001F643"); what = "appended an entry"; break;
                    default: entries[random.Next(entries.Count)] = ""; what = "emptied an entry"; break;
                }
                var edited = new Dictionary<string, string>(meta) { ["charlstm.vocabulary"] = JsonSerializer.Serialize(entries) };
                if (random.Next(2) == 0) edited["charlstm.vocab_size"] = entries.Count.ToString();
                return ($"vocabulary: {what}", Rewrite(tensors, edited));
            },
            i => // the tensor set or a shape changed (data kept consistent, so the container is valid)
            {
                var edited = new List<TensorEntry>(tensors);
                int t = random.Next(edited.Count);
                var tensor = edited[t];
                string what;
                switch (random.Next(5))
                {
                    case 0: edited.RemoveAt(t); what = $"removed {tensor.Name}"; break;
                    case 1: edited.Add(tensor with { Name = i % 2 == 0 ? tensor.Name + "_copy" : tensor.Name.Replace("l0", "l1").Replace("l1", "l2") }); what = $"copied {tensor.Name}"; break;
                    case 2: edited[t] = tensor with { Shape = [.. tensor.Shape.Reverse()] }; what = $"reversed shape of {tensor.Name}"; break;
                    case 3: edited[t] = tensor with { Shape = [tensor.Data.Length] }; what = $"flattened {tensor.Name}"; break;
                    default:
                        int rows = Math.Max(0, tensor.Shape[0] + random.Next(-1, 2));
                        int[] shape = [rows, .. tensor.Shape.Skip(1)];
                        edited[t] = new TensorEntry(tensor.Name, shape, new float[shape.Aggregate(1, (a, d) => a * d)]);
                        what = $"resized {tensor.Name} to [{string.Join(", ", shape)}]";
                        break;
                }
                return ($"tensors: {what}", Rewrite(edited, meta));
            },
            i => // a number or string token of the header JSON replaced, the length prefix fixed
            {
                var token = tokens[random.Next(tokens.Count)];
                string replacement = random.Next(3) == 0 ? tokens[random.Next(tokens.Count)].Value : JsonSerializer.Serialize(Values[random.Next(Values.Length)]).Trim('"');
                string edited = string.Concat(json.AsSpan(0, token.Index), replacement, json.AsSpan(token.Index + token.Length));
                return ($"header token {token.Value} -> {replacement}", SafeTensorsTestFiles.Build(edited, data));
            },
        };
        for (int i = 0; ; i++)
            yield return kinds[i % kinds.Length](i / kinds.Length);
    }

    // A name the edit made twice is written as-is by hand, since the writer refuses it; the reader must refuse it too.
    private static byte[] Rewrite(List<TensorEntry> tensors, Dictionary<string, string> meta) =>
        tensors.DistinctBy(t => t.Name).Count() == tensors.Count ? Bytes(tensors, meta) : Bytes(tensors.DistinctBy(t => t.Name).ToList(), meta);
}
