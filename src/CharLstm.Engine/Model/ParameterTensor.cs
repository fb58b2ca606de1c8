namespace CharLstm.Model;

/// <summary>One named tensor inside the flat parameter buffer.</summary>
/// <param name="Name">PyTorch state_dict name, e.g. <c>lstm.weight_ih_l0</c>.</param>
/// <param name="Shape">Row-major shape.</param>
/// <param name="Offset">First element in the flat buffer.</param>
public sealed record ParameterTensor(string Name, int[] Shape, int Offset)
{
    /// <summary>Number of elements.</summary>
    public int Length { get; } = Shape.Aggregate(1, (a, d) => checked(a * d));
}
