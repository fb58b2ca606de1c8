using CharLstm.Numerics;

namespace CharLstm.Tests.Numerics;

public sealed class RngTests
{
    [Fact]
    public void Stream_zero_is_the_seed_itself_so_one_sample_matches_a_plain_seed()
    {
        Assert.Equal(42UL, Rng.SeedFor(42, 0));
    }

    [Fact]
    public void Stream_seeds_of_nearby_families_never_meet()
    {
        // seed + index would give 100 distinct seeds out of 100 x 100 here; mixing gives all 10,000.
        var seen = new HashSet<ulong>();
        for (ulong seed = 0; seed < 100; seed++)
            for (int i = 0; i < 100; i++)
                Assert.True(seen.Add(Rng.SeedFor(seed, i)), $"seed {seed} stream {i} repeats an earlier stream's seed");
    }
}
