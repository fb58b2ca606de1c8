namespace CharLstm.Numerics;

/// <summary>
/// Items <c>[0, count)</c> of one parallel region shared out with stealing: each member starts on
/// its own contiguous share (<see cref="ThreadTeam.Range"/>), taking items from its front, and when
/// that is used up takes the items still left in the other members' shares. Static shares alone
/// leave the faster core waiting at the next barrier whenever the two run at different speeds (on
/// a shared VM they often do); own-share-first keeps each member on neighbouring items, as a static
/// split would. Several independent regions (slots) can be in flight in one team run.
/// </summary>
internal sealed class WorkShares
{
    // One counter per (slot, member share), each on its own 128-byte stretch so members claiming
    // from different shares do not share a cache line.
    private const int Stride = 32;
    private readonly int[] _next;
    private readonly int[] _end;
    private readonly int _members;

    public WorkShares(int members, int slots)
    {
        _members = members;
        _next = new int[slots * members * Stride];
        _end = new int[slots * members];
    }

    /// <summary>
    /// Sets slot <paramref name="slot"/> to <paramref name="count"/> fresh items. Call before the team
    /// run that claims them (the run's start publishes the writes to the members).
    /// </summary>
    public void Reset(int slot, int count)
    {
        for (int r = 0; r < _members; r++)
        {
            var (start, end) = ThreadTeam.Range(count, _members, r);
            _next[(slot * _members + r) * Stride] = start;
            _end[slot * _members + r] = end;
        }
    }

    /// <summary>
    /// The next item for the member whose cursor is <paramref name="share"/> (start it at the
    /// member's index), or −1 when every share is used up. Each item is handed out exactly once.
    /// </summary>
    public int Claim(int slot, ref int share)
    {
        for (int tries = 0; tries < _members; tries++)
        {
            int item = Interlocked.Increment(ref _next[(slot * _members + share) * Stride]) - 1;
            if (item < _end[slot * _members + share]) return item;
            share = share + 1 == _members ? 0 : share + 1;
        }
        return -1;
    }
}
