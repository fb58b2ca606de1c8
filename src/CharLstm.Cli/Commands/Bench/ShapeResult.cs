namespace CharLstm.Cli.Commands.Bench;

/// <summary>One matrix shape's figures in sgemm mode.</summary>
/// <param name="Name">Shape name from the contract (<c>input_l0</c>, <c>recurrent</c>, …).</param>
/// <param name="M">Rows of A and C.</param>
/// <param name="K">Columns of A, rows of B.</param>
/// <param name="N">Columns of B and C.</param>
/// <param name="Reps">GFLOP/s of each repetition.</param>
/// <param name="PackedReps">For a shape whose B is a weight matrix: GFLOP/s with B packed once beforehand,
/// as the engine multiplies by its weights (null otherwise).</param>
internal sealed record ShapeResult(string Name, int M, int K, int N, double[] Reps, double[]? PackedReps = null)
{
    /// <summary>Median of <see cref="Reps"/>.</summary>
    public double Median => BenchmarkRunner.Median(Reps);

    /// <summary>Median of <see cref="PackedReps"/>, or null.</summary>
    public double? PackedMedian => PackedReps is null ? null : BenchmarkRunner.Median(PackedReps);
}
