using System.Text.RegularExpressions;

namespace CharLstm.Tests.Interop;

/// <summary>docs/interop.md's ONNX examples are the code that the tests run, not copies that drift.</summary>
public sealed partial class OnnxDocsTests
{
    private static string Page() => File.ReadAllText(Path.Combine(Repository.Root(), "docs", "interop.md")).ReplaceLineEndings("\n");

    // The first fenced block of a language after a heading.
    private static string Block(string page, string heading, string language)
    {
        int at = page.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(at >= 0, $"docs/interop.md has no '{heading}'");
        var block = FencedBlock().Match(page, at);
        while (block.Success && block.Groups["language"].Value != language) block = block.NextMatch();
        Assert.True(block.Success, $"no ```{language} block after '{heading}'");
        return block.Groups["code"].Value;
    }

    [Fact]
    public void The_pages_csharp_example_is_the_tested_file()
    {
        string file = File.ReadAllText(Path.Combine(Repository.Root(), "tests", "CharLstm.Tests", "Interop", "OnnxGeneration.cs")).ReplaceLineEndings("\n");
        string fromUsings = file[(file.IndexOf("\nusing ", StringComparison.Ordinal) + 1)..];
        Assert.Equal(fromUsings, Block(Page(), "### Running it from C#", "csharp"));
    }

    [Fact]
    public void The_pages_python_excerpt_is_in_the_script_in_order()
    {
        string[] script = File.ReadAllLines(Path.Combine(Repository.Root(), "tools", "onnx_generate.py"));
        int line = 0;
        foreach (string shown in Block(Page(), "### Running it from Python", "python").Split('\n').Where(l => l.Trim() is { Length: > 0 } and not "..."))
        {
            while (line < script.Length && script[line].Trim() != shown.Trim()) line++;
            Assert.True(line < script.Length, $"tools/onnx_generate.py has no line '{shown.Trim()}' after the page's lines before it");
            line++;
        }
    }

    [GeneratedRegex(@"^```(?<language>[a-z]*)\n(?<code>.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}
