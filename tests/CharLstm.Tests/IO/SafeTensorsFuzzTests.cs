using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using CharLstm.IO;
using static CharLstm.Tests.IO.SafeTensorsTestFiles;

namespace CharLstm.Tests.IO;

/// <summary>
/// Damages a valid file in many ways and checks the reader's contract: it returns a consistent file or throws
/// <see cref="ModelFormatException"/>, and nothing else (no IndexOutOfRange, no OutOfMemory, no hang).
/// </summary>
public partial class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_240_601;

    private static readonly string[] Replacements =
    [
        "0", "1", "-1", "-0", "4", "7", "1.5", "1e3", "4294967296", "2147483648", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "18446744073709551616", "99999999999999999999999999999",
        "null", "true", "[]", "{}", "[0,0]", "[0,4,8]", "[[1]]", "\"\"", "\"x\"", "\"12\"", "\"F16\"", "\"F32\"",
        "\"I64\"", "\"F33\"", "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"\\ud800\"",
        "\"\\u0000\"", "{\"a\":1,\"a\":2}",
    ];

    [Fact]
    public void Every_mutant_reads_consistently_or_throws_model_format_exception()
    {
        (TensorEntry[] tensors, Dictionary<string, string> metadata) = Sample();
        byte[] valid = Write(tensors, metadata);
        var random = new Random(Seed);
        var failures = new List<string>();
        var outcomes = new Dictionary<string, int>();
        int mutants = 0;

        Stopwatch stopwatch = Stopwatch.StartNew();
        foreach ((string kind, byte[] mutant) in Mutants(valid, random))
        {
            mutants++;
            string outcome = Check(kind, mutant, failures);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        stopwatch.Stop();
        output.WriteLine($"{mutants} mutants in {stopwatch.ElapsedMilliseconds} ms: {string.Join(", ", outcomes.OrderByDescending(o => o.Value))}");

        Assert.True(failures.Count == 0, $"{failures.Count} mutants broke the contract:\n{string.Join("\n", failures.Take(20))}");
        Assert.True(mutants >= 10_000, $"only {mutants} mutants");
        // Both outcomes must occur, or the mutations are not reaching the checks.
        Assert.True(outcomes.GetValueOrDefault("read") > 0, "no mutant was readable");
        Assert.True(outcomes.Count > 15, $"only these outcomes occurred: {string.Join(", ", outcomes)}");
        // A hang detector, not a benchmark: this takes 1-2 s even on a busy 2-core machine.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"{mutants} mutants took {stopwatch.Elapsed}");
    }

    private static string Check(string kind, byte[] mutant, List<string> failures)
    {
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            SafeTensorsFile file = Read(mutant);
            CheckAllocation(kind, mutant, allocatedBefore, failures);
            foreach (TensorEntry tensor in file.Tensors)
            {
                long count = tensor.Shape.Aggregate(1L, (product, dimension) => product * dimension);
                if (count != tensor.Data.Length || tensor.Data.Any(value => !float.IsFinite(value)) || file.Get(tensor.Name) != tensor)
                {
                    failures.Add($"{kind}: read an inconsistent tensor '{tensor.Name}'");
                }
            }

            return "read";
        }
        catch (ModelFormatException e)
        {
            CheckAllocation(kind, mutant, allocatedBefore, failures);
            return e.Error.ToString();
        }
        catch (Exception e)
        {
            failures.Add($"{kind}: {e.GetType().Name}: {e.Message} [{Convert.ToHexString(mutant)}]");
            return "broken";
        }
    }

    /// <summary>
    /// The reader may allocate in proportion to the bytes it was given, never to a number the file claims:
    /// a few copies of the file plus room for the exception and its message.
    /// </summary>
    private static void CheckAllocation(string kind, byte[] mutant, long allocatedBefore, List<string> failures)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long allowed = 8L * mutant.Length + 256 * 1024;
        if (allocated > allowed)
        {
            failures.Add($"{kind}: allocated {allocated:N0} bytes for a {mutant.Length}-byte file");
        }
    }

    private static IEnumerable<(string Kind, byte[] Mutant)> Mutants(byte[] valid, Random random)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        byte[] header = valid[8..(8 + headerLength)];
        byte[] data = valid[(8 + headerLength)..];
        string json = Encoding.UTF8.GetString(header).TrimEnd(' ');

        for (int length = 0; length < valid.Length; length++)
        {
            yield return ($"truncated to {length}", valid[..length]);
        }

        for (int i = 0; i < 200; i++)
        {
            byte[] extra = new byte[random.Next(1, 17)];
            random.NextBytes(extra);
            yield return ($"extended by {extra.Length}", [.. valid, .. extra]);
        }

        for (int i = 0; i < 3000; i++)
        {
            byte[] mutant = (byte[])valid.Clone();
            // Half the flips land in the prefix and header, where the checks are.
            int limit = i % 2 == 0 ? 8 + headerLength : mutant.Length;
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                mutant[random.Next(limit)] ^= (byte)(1 << random.Next(8));
            }

            yield return ($"bit flips #{i}", mutant);
        }

        byte[] interesting = [.. "{}[]\",:\\-0123456789.eE tfn"u8, 0x00, 0x7F, 0x80, 0xC0, 0xFF];
        for (int i = 0; i < 2500; i++)
        {
            byte[] mutant = (byte[])valid.Clone();
            mutant[8 + random.Next(headerLength)] = random.Next(3) == 0 ? (byte)random.Next(256) : interesting[random.Next(interesting.Length)];
            yield return ($"header byte edit #{i}", mutant);
        }

        for (int i = 0; i < 1000; i++)
        {
            // Insert or delete a header byte and fix the length prefix, so the damage reaches the JSON parser.
            var edited = new List<byte>(header);
            int at = random.Next(edited.Count);
            if (i % 2 == 0)
            {
                edited.Insert(at, interesting[random.Next(interesting.Length)]);
            }
            else
            {
                edited.RemoveAt(at);
            }

            yield return ($"header insert/delete #{i}", Build([.. edited], data));
        }

        MatchCollection tokens = JsonToken().Matches(json);
        for (int i = 0; i < 3000; i++)
        {
            Match token = tokens[random.Next(tokens.Count)];
            string replacement = i % 5 == 4
                ? tokens[random.Next(tokens.Count)].Value // swap in another token: numbers for strings, names for values
                : Replacements[random.Next(Replacements.Length)];
            string edited = string.Concat(json.AsSpan(0, token.Index), replacement, json.AsSpan(token.Index + token.Length));
            yield return ($"token edit #{i}: {token.Value} -> {replacement}", Build(edited, data));
        }

        ulong[] lengths = [0, 1, 7, 8, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)valid.Length, 100_000_000, 100_000_001,
            int.MaxValue, uint.MaxValue, long.MaxValue, ulong.MaxValue];
        for (int i = 0; i < 500; i++)
        {
            byte[] mutant = (byte[])valid.Clone();
            ulong length = i < lengths.Length ? lengths[i] : (ulong)random.NextInt64(0, valid.Length + 64) << random.Next(0, 40);
            BinaryPrimitives.WriteUInt64LittleEndian(mutant, length);
            yield return ($"length prefix {length}", mutant);
        }
    }

    /// <summary>A JSON string (with escapes) or number in the header text.</summary>
    [GeneratedRegex("""
        "(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?
        """)]
    private static partial Regex JsonToken();
}
