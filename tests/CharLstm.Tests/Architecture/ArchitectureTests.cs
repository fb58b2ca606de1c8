using System.Text.RegularExpressions;
using ArchUnitNET.Loader;
using CharLstm.Cli;
using CharLstm.Numerics;

namespace CharLstm.Tests.Architecture;

/// <summary>
/// The arrows between the parts point down: every type reference in the three assemblies (field,
/// signature, base type, local, call, attribute, read from the IL) goes from a part to itself or to a
/// part that docs/architecture.md's table says it may use. The table is read from the document, so
/// the picture cannot drift from the code.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Loaded = new(() => new ArchLoader()
        .LoadAssemblies(typeof(ComputeThreads).Assembly, typeof(CharLanguageModel).Assembly, typeof(Program).Assembly)
        .Build());

    [Fact]
    public void Every_reference_between_parts_points_down_the_documented_table()
    {
        var allowed = DocumentedTable();
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in Loaded.Value.Types)
        {
            string? from = type.Namespace is { } home ? PartOf(home.FullName, allowed.Keys) : null;
            if (from is null) continue;
            foreach (var dependency in type.Dependencies)
            {
                string? to = dependency.Target?.Namespace is { } ns ? PartOf(ns.FullName, allowed.Keys) : null;
                if (to is null || to == from || allowed[from].Contains(to)) continue;
                violations.Add($"{from} → {to}: {Clean(type.FullName)} uses {Clean(dependency.Target!.FullName)}");
            }
        }
        Assert.True(violations.Count == 0, "References that point up or sideways (fix the code, or the table in docs/architecture.md if the design changed):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_namespace_of_the_code_is_a_part_of_the_table()
    {
        var parts = DocumentedTable().Keys;
        var unmapped = Loaded.Value.Types
            .Select(t => t.Namespace?.FullName ?? "")
            .Where(ns => ns.StartsWith("CharLstm", StringComparison.Ordinal) && PartOf(ns, parts) is null)
            .Distinct().Order().ToList();
        Assert.True(unmapped.Count == 0, "Namespaces no part of docs/architecture.md's table covers: " + string.Join(", ", unmapped));
    }

    [Fact]
    public void The_table_orders_the_parts_so_every_arrow_points_down()
    {
        // A part may only use parts listed above it: the table is a layering, not just a list of edges.
        var table = DocumentedTable();
        var order = table.Keys.ToList();
        foreach (var (part, uses) in table)
            foreach (string used in uses)
                Assert.True(order.IndexOf(used) < order.IndexOf(part), $"{part} may use {used}, which the table lists below it.");
    }

    // The part of a namespace: the table's namespace that is it or its parent, the longest first.
    private static string? PartOf(string ns, IEnumerable<string> parts) =>
        parts.Where(p => ns == Namespaces[p] || ns.StartsWith(Namespaces[p] + ".", StringComparison.Ordinal))
             .OrderByDescending(p => Namespaces[p].Length).FirstOrDefault();

    private static readonly Dictionary<string, string> Namespaces = new(StringComparer.Ordinal);

    /// <summary>part → the parts it may use, from the table "| part | namespace | may use |" in docs/architecture.md.</summary>
    private static Dictionary<string, HashSet<string>> DocumentedTable()
    {
        string doc = File.ReadAllText(Path.Combine(Repository.Root(), "docs", "architecture.md"));
        var table = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match row in TableRow().Matches(doc))
        {
            string part = row.Groups["part"].Value.Trim();
            Namespaces[part] = row.Groups["ns"].Value.Trim();
            table[part] = row.Groups["uses"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(u => u != "—").ToHashSet(StringComparer.Ordinal);
        }
        Assert.True(table.Count >= 8, $"docs/architecture.md's dependency table has {table.Count} rows");
        foreach (var uses in table.Values)
            foreach (string used in uses)
                Assert.True(table.ContainsKey(used), $"the table names '{used}', which is not one of its parts");
        return table;
    }

    // | Numerics | `CharLstm.Numerics` | — |
    [GeneratedRegex(@"^\| *(?<part>[A-Za-z]+) *\| *`(?<ns>CharLstm[A-Za-z.]*)` *\|(?<uses>[^|\n]*)\|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    private static string Clean(string fullName) => fullName.Split('`')[0];
}
