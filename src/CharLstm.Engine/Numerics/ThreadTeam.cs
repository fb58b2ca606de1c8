namespace CharLstm.Numerics;

/// <summary>
/// A fixed team of compute threads for the kernels: the caller is member 0, and <c>Size − 1</c>
/// background threads wait for work. <see cref="Run"/> hands every member the same function and
/// state pointer and returns when all have finished; <see cref="Barrier"/> synchronises the members
/// inside one run. Both spin first (a time step takes microseconds, far less than waking a sleeping
/// thread) and only then block, so an idle team costs nothing.
/// </summary>
/// <remarks>
/// Work is split by the callers: by member index, or (<see cref="WorkShares"/>) by member index
/// first with the leftovers taken by whoever is free. Either way every output element is computed
/// by exactly one member in a fixed order, so which member computes it may depend on timing but
/// the result never does.
/// A team is used by one caller at a time. Worker threads hold only the inner <see cref="Core"/>; if
/// the team is dropped without <see cref="Dispose"/>, its finalizer stops them.
/// </remarks>
internal sealed unsafe class ThreadTeam : IDisposable
{
    private readonly Core _core;
    private readonly float[][] _scratch;
    private readonly nint[] _scratchStart;

    /// <summary>Floats of per-member scratch: the multiply's packed block of A, then one k-block of two B panels.</summary>
    public static readonly int ScratchFloats = MatMul.RowBlock * MatMul.DepthBlock + 2 * MatMul.DepthBlock * PackedMatrix.Width;

    /// <summary>A team of <paramref name="size"/> members (1: everything runs inline on the caller).</summary>
    public ThreadTeam(int size)
    {
        if (!ComputeThreads.IsValid(size)) throw new ArgumentOutOfRangeException(nameof(size), size, ComputeThreads.RangeMessage("threads", size));
        _scratch = new float[size][];
        _scratchStart = new nint[size];
        for (int i = 0; i < size; i++)
        {
            // Pinned, so the aligned start stays valid.
            _scratch[i] = GC.AllocateUninitializedArray<float>(ScratchFloats + 16, pinned: true);
            fixed (float* raw = _scratch[i]) _scratchStart[i] = ((nint)raw + 63) & ~(nint)63;
        }
        _core = new Core(size);
    }

    /// <summary>Member <paramref name="member"/>'s scratch: <see cref="ScratchFloats"/> floats, 64-byte aligned.</summary>
    public float* Scratch(int member) => (float*)_scratchStart[member];

    /// <summary>Members, the caller included.</summary>
    public int Size => _core.Size;

    /// <summary>Runs <c>work(state, member, Size)</c> on every member and waits for all.</summary>
    public void Run(delegate*<void*, int, int, void> work, void* state) => _core.Run(work, state);

    /// <summary>
    /// Runs <c>body(state, start, end)</c> over <c>[0, count)</c> cut into one contiguous range per
    /// member (in units of <paramref name="grain"/>); small counts run inline.
    /// </summary>
    public void For(int count, int grain, delegate*<void*, int, int, void> body, void* state)
    {
        if (count <= 0) return;
        if (Size == 1 || count <= grain) { body(state, 0, count); return; }
        var job = new ForJob { Count = count, Grain = grain, Body = body, State = state };
        Run(&ForMember, &job);
    }

    private struct ForJob
    {
        public int Count, Grain;
        public delegate*<void*, int, int, void> Body;
        public void* State;
    }

    private static void ForMember(void* state, int member, int members)
    {
        var job = (ForJob*)state;
        var (start, end) = Range(job->Count, members, member, job->Grain);
        if (start < end) job->Body(job->State, start, end);
    }

    /// <summary>Waits inside a <see cref="Run"/> until every member has reached the barrier.</summary>
    public void Barrier() => _core.Barrier();

    /// <summary>Stops the worker threads.</summary>
    public void Dispose()
    {
        _core.Stop();
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the worker threads of a team nobody disposed.</summary>
    ~ThreadTeam() => _core.Stop();

    /// <summary>Splits <paramref name="count"/> items into <paramref name="parts"/> contiguous ranges, in units of <paramref name="grain"/>.</summary>
    public static (int Start, int End) Range(int count, int parts, int part, int grain = 1)
    {
        int units = (count + grain - 1) / grain;
        int start = (int)((long)units * part / parts) * grain, end = (int)((long)units * (part + 1) / parts) * grain;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    internal sealed class Core
    {
        // Spin (yielding after the first few rounds) this many rounds before blocking: well over the
        // gaps between a training step's parallel regions, so a busy team never sleeps.
        private const int SpinRounds = 20_000;
        private readonly object _gate = new();
        private readonly Thread[] _workers;
        private delegate*<void*, int, int, void> _work;
        private void* _state;
        private long _generation;   // bumped once per Run
        private int _pending;       // workers still running the current Run
        private int _sleepers;      // workers blocked on _gate
        private volatile bool _stopped;
        private int _barrierCount;  // members arrived at the current barrier
        private int _barrierSense;  // flips each time a barrier opens

        public Core(int size)
        {
            Size = size;
            _workers = new Thread[size - 1];
            for (int i = 0; i < _workers.Length; i++)
            {
                int member = i + 1;
                _workers[i] = new Thread(() => WorkerLoop(member)) { IsBackground = true, Name = $"charlstm-compute-{member}" };
                _workers[i].Start();
            }
        }

        public int Size { get; }

        public void Run(delegate*<void*, int, int, void> work, void* state)
        {
            if (Size == 1) { work(state, 0, 1); return; }
            ObjectDisposedException.ThrowIf(_stopped, typeof(ThreadTeam));
            _work = work;
            _state = state;
            Volatile.Write(ref _pending, Size - 1);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0) lock (_gate) Monitor.PulseAll(_gate);
            work(state, 0, Size);
            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
        }

        public void Barrier()
        {
            if (Size == 1) return;
            int sense = Volatile.Read(ref _barrierSense);
            if (Interlocked.Increment(ref _barrierCount) == Size)
            {
                Volatile.Write(ref _barrierCount, 0);
                Volatile.Write(ref _barrierSense, sense ^ 1);
                return;
            }
            var spinner = new SpinWait();
            while (Volatile.Read(ref _barrierSense) == sense) spinner.SpinOnce(sleep1Threshold: -1);
        }

        public void Stop()
        {
            if (_stopped) return;
            _stopped = true;
            Interlocked.Increment(ref _generation);
            lock (_gate) Monitor.PulseAll(_gate);
        }

        private void WorkerLoop(int member)
        {
            long seen = 0;
            while (true)
            {
                // Spin for the next run, then block.
                int spins = 0;
                var spinner = new SpinWait();
                while (Volatile.Read(ref _generation) == seen && spins++ < SpinRounds) spinner.SpinOnce(sleep1Threshold: -1);
                if (Volatile.Read(ref _generation) == seen)
                {
                    lock (_gate)
                    {
                        Interlocked.Increment(ref _sleepers);
                        while (Volatile.Read(ref _generation) == seen) Monitor.Wait(_gate);
                        Interlocked.Decrement(ref _sleepers);
                    }
                }
                seen = Volatile.Read(ref _generation);
                if (_stopped) return;
                _work(_state, member, Size);
                Interlocked.Decrement(ref _pending);
            }
        }
    }
}
