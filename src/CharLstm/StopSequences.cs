namespace CharLstm;

/// <summary>
/// Ends generated text at the first of some stop sequences, while the text streams: each piece pushed
/// in comes out as soon as it can no longer be the start of a stop, and when a stop is complete the
/// text before it is the last to come out (the stop itself is dropped, as OpenAI's and llama.cpp's
/// servers drop it). The text ends at the first stop to be completed, as if it came one character at a
/// time, so how it is cut into pieces never changes where it ends.
/// </summary>
public sealed class StopSequences
{
    private readonly string[] _stops;
    private string _pending = "";

    /// <summary>Stops at the first of <paramref name="stops"/> (none: never).</summary>
    /// <exception cref="ArgumentException">A stop sequence is empty.</exception>
    public StopSequences(IEnumerable<string> stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        _stops = [.. stops];
        if (_stops.Any(string.IsNullOrEmpty)) throw new ArgumentException("a stop sequence must have at least one character.", nameof(stops));
    }

    /// <summary>True once a stop sequence has been completed: nothing more comes out.</summary>
    public bool Stopped { get; private set; }

    /// <summary>The text that can be shown after <paramref name="piece"/> (possibly empty).</summary>
    public string Push(string piece)
    {
        if (Stopped) return "";
        if (_stops.Length == 0) return piece; // nothing to hold back
        _pending += piece;
        // The first stop to be completed ends earliest; of two ending together, the longer started first. A stop's
        // earliest occurrence is also its earliest-ending one, so one search per stop finds it, whatever the pieces.
        int cut = -1, cutEnd = int.MaxValue;
        foreach (string stop in _stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (at + stop.Length < cutEnd || (at + stop.Length == cutEnd && at < cut))) (cut, cutEnd) = (at, at + stop.Length);
        }
        if (cut >= 0)
        {
            Stopped = true;
            string before = _pending[..cut];
            _pending = "";
            return before;
        }
        // Hold back the longest end of the text that could still grow into a stop.
        int hold = 0;
        foreach (string stop in _stops)
            for (int n = Math.Min(stop.Length - 1, _pending.Length); n > hold; n--)
                if (_pending.AsSpan(_pending.Length - n).SequenceEqual(stop.AsSpan(0, n))) { hold = n; break; }
        string ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>What is still held back when the text ends without a stop.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }
}
