using Microsoft.Extensions.Hosting;

namespace CharLstm.Cli.Commands.Serve;

/// <summary><c>charlstm serve</c>: an OpenAI-compatible generation server with a playground, until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var def = new ServeDefinition();
        return def.Build(r => Guarded.Run("serve", () => Run(def, r)));
    }

    private static int Run(ServeDefinition def, ParseResult r)
    {
        var settings = def.Read(r);
        var app = ServeApp.Create(settings);
        try
        {
            // The port opens first (so a supervisor sees the process answer, with /health at 503), then the models load.
            app.StartAsync().GetAwaiter().GetResult();
            foreach (string address in app.Addresses) Console.WriteLine($"charlstm serve: listening on {address}");
            Console.Out.Flush();
            app.LoadModels();
            foreach (var model in app.Models.All)
                Console.WriteLine($"charlstm serve: model '{model.Name}' ready ({model.Path}: "
                    + $"{model.Language.Config.Layers} x {model.Language.Config.HiddenSize}, "
                    + $"{model.Language.Vocabulary.Size} characters); playground at {app.Addresses[0]}/");
            Console.Out.Flush();
            app.Web.WaitForShutdownAsync().GetAwaiter().GetResult();
            Console.WriteLine("charlstm serve: stopped.");
            return ExitCodes.Ok;
        }
        finally
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
