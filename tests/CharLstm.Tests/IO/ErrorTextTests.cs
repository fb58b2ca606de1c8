using System.Text.Json;
using CharLstm.IO;

namespace CharLstm.Tests.IO;

public sealed class ErrorTextTests
{
    [Fact]
    public void Parameter_names_and_json_reader_positions_are_dropped()
    {
        Assert.Equal("The value cannot be an empty string", ErrorText.Reason(new ArgumentException("The value cannot be an empty string.", "path")));
        var json = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<string[]>("[\"a\", 1]"));
        string reason = ErrorText.Reason(json);
        Assert.DoesNotContain("LineNumber", reason);
        Assert.DoesNotContain("Path:", reason);
        Assert.NotEmpty(reason);
        Assert.Equal("plain words", ErrorText.Reason(new InvalidOperationException("plain words.")));
    }
}
