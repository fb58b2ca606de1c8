using System.Runtime.CompilerServices;
using CharLstm.Numerics;

namespace CharLstm.Tests.Numerics;

/// <summary>The thread team runs every member and its barrier orders phases; work shares hand out every item once.</summary>
public sealed unsafe class ThreadTeamTests
{
    [Fact]
    public void Thread_team_runs_every_member_and_its_barrier_orders_phases()
    {
        using var team = new ThreadTeam(3);
        s_team = team;
        var seen = new int[3 * 50];
        fixed (int* s = seen)
        {
            for (int round = 0; round < 50; round++)
            {
                var job = new TeamProbe { Seen = s + round * 3, Round = round };
                team.Run(&TeamProbe.Work, &job);
                Assert.Equal(0, job.Errors);
            }
        }
        Assert.All(seen, v => Assert.Equal(1, v));
    }

    private static ThreadTeam? s_team;

    private struct TeamProbe
    {
        public int* Seen;
        public int Round, Arrived, Errors;

        public static void Work(void* state, int member, int members)
        {
            var probe = (TeamProbe*)state;
            Interlocked.Increment(ref probe->Seen[member]);
            Interlocked.Increment(ref probe->Arrived);
            s_team!.Barrier();
            // After the barrier every member has arrived.
            if (Volatile.Read(ref probe->Arrived) != members) Interlocked.Increment(ref probe->Errors);
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 5)]
    [InlineData(2, 1)]
    [InlineData(2, 32)]
    [InlineData(3, 2)]
    [InlineData(3, 100)]
    public void Work_shares_hand_out_every_item_once_and_a_stalled_member_loses_its_share(int members, int count)
    {
        using var team = new ThreadTeam(members);
        var shares = new WorkShares(members, slots: 2);
        var owner = new int[2 * count];
        fixed (int* o = owner)
        {
            for (int round = 0; round < 2; round++)
            {
                // Round 1 stalls member 0 before it claims anything: the others must finish its share.
                Array.Fill(owner, -1);
                shares.Reset(0, count); shares.Reset(1, count);
                var job = new ShareProbe { Shares = shares, Owner = o, Count = count, StallMember0 = round == 1 };
#pragma warning disable CS8500 // the probe holds a reference; this frame keeps it alive while the team runs
                team.Run(&ShareProbe.Work, &job);
#pragma warning restore CS8500
                Assert.Equal(0, job.Errors);
                Assert.All(owner, who => Assert.InRange(who, 0, members - 1));
                if (round == 1 && members > 1 && count > 0)
                    Assert.Equal(0, owner.Count(who => who == 0));
            }
        }
    }

    private struct ShareProbe
    {
        public WorkShares Shares;
        public int* Owner;
        public int Count, Errors;
        public bool StallMember0;

        public static void Work(void* state, int member, int members)
        {
#pragma warning disable CS8500
            ref var probe = ref Unsafe.AsRef<ShareProbe>(state);
#pragma warning restore CS8500
            // Member 0 waits until every item is taken (the others cannot wait for it: they would
            // never see it claim). A member that is alone does not stall.
            if (probe.StallMember0 && member == 0 && members > 1)
            {
                // If the others never take its items (no stealing), give up after 10 s and fail.
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (int slot = 0; slot < 2; slot++)
                    for (int i = 0; i < probe.Count; i++)
                    {
                        var spin = new SpinWait();
                        while (Volatile.Read(ref probe.Owner[slot * probe.Count + i]) < 0 && clock.Elapsed.TotalSeconds < 10) spin.SpinOnce();
                    }
            }
            for (int slot = 0; slot < 2; slot++)
            {
                int share = member;
                for (int item = probe.Shares.Claim(slot, ref share); item >= 0; item = probe.Shares.Claim(slot, ref share))
                {
                    if (item >= probe.Count || Interlocked.CompareExchange(ref probe.Owner[slot * probe.Count + item], member, -1) != -1)
                        Interlocked.Increment(ref probe.Errors);
                }
            }
        }
    }
}
