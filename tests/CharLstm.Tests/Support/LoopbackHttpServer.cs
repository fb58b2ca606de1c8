using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CharLstm.Tests.Support;

/// <summary>What the loopback server does with a request.</summary>
/// <param name="Status">HTTP status code.</param>
/// <param name="Body">The body bytes.</param>
/// <param name="SendOnly">Send only this many body bytes, then close: a download cut midway.</param>
/// <param name="Silent">Accept the connection but never answer: a hung server.</param>
internal sealed record LoopbackResponse(int Status, byte[] Body, int? SendOnly = null, bool Silent = false);

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 built on TcpListener, so a test can also cut a body midway
/// or never answer. One response per connection (Connection: close).
/// </summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, LoopbackResponse> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _requestCount;

    public LoopbackHttpServer(Func<string, LoopbackResponse> respond)
    {
        _respond = respond;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int RequestCount => Volatile.Read(ref _requestCount);

    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{path}");

    /// <summary>A URL on a port nobody listens on: connecting is refused at once.</summary>
    public static Uri UnreachableUrl(string path)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/{path}");
    }

    /// <summary>An HttpClient that never goes through a proxy, whatever the environment says.</summary>
    public static HttpClient CreateClient() => new(new SocketsHttpHandler { UseProxy = false });

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                string path = await ReadRequestPathAsync(stream);
                Interlocked.Increment(ref _requestCount);
                LoopbackResponse response = _respond(path);
                if (response.Silent)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }

                string head = $"HTTP/1.1 {response.Status} {(response.Status == 200 ? "OK" : "Not Found")}\r\n" +
                    $"Content-Length: {response.Body.Length}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                int length = Math.Min(response.SendOnly ?? response.Body.Length, response.Body.Length);
                await stream.WriteAsync(response.Body.AsMemory(0, length), _stop.Token);
                await stream.FlushAsync(_stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The client went away or the server is stopping.
            }
        }
    }

    private static async Task<string> ReadRequestPathAsync(NetworkStream stream)
    {
        var request = new List<byte>();
        byte[] buffer = new byte[1024];
        while (!EndsWithBlankLine(request))
        {
            int count = await stream.ReadAsync(buffer);
            if (count == 0)
            {
                throw new IOException("Client closed before finishing its request.");
            }

            request.AddRange(buffer.AsSpan(0, count));
        }

        string requestLine = Encoding.ASCII.GetString([.. request]).Split("\r\n")[0]; // GET /path HTTP/1.1
        return requestLine.Split(' ')[1].TrimStart('/');
    }

    private static bool EndsWithBlankLine(List<byte> bytes) =>
        bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';
}
