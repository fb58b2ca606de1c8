using System.Text.Encodings.Web;
using System.Text.Json;

namespace CharLstm.Cli.Commands.Serve;

/// <summary>
/// How replies are written: characters as they are (an apostrophe stays ', not \u0027), which is safe in a JSON body
/// and in an event stream, and easier to read in curl's output.
/// </summary>
internal static class ServeJson
{
    public static JsonSerializerOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
