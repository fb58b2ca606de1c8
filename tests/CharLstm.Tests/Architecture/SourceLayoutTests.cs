using System.Text.RegularExpressions;

namespace CharLstm.Tests.Architecture;

/// <summary>What dotnet format cannot check: the line length the .editorconfig sets for the sources.</summary>
public sealed partial class SourceLayoutTests
{
    [Fact]
    public void Source_lines_are_no_longer_than_the_editorconfig_allows()
    {
        string root = Repository.Root();
        var limit = MaxLineLength().Match(File.ReadAllText(Path.Combine(root, ".editorconfig")));
        Assert.True(limit.Success, ".editorconfig sets no max_line_length");
        int max = int.Parse(limit.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var longLines = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(root, f), Line: i + 1, line.Length)))
            .Where(l => l.Length > max)
            .Select(l => $"{l.File}:{l.Line} has {l.Length} characters")
            .ToList();
        Assert.True(longLines.Count == 0, $"lines over {max} characters:\n" + string.Join("\n", longLines));
    }

    [GeneratedRegex(@"^max_line_length *= *(\d+)", RegexOptions.Multiline)]
    private static partial Regex MaxLineLength();
}
