namespace CharLstm.IO;

/// <summary>
/// One named tensor of 32-bit floats, stored row-major (the last dimension varies fastest).
/// </summary>
/// <remarks>
/// The record holds its arrays by reference: equality compares the array instances, not their contents,
/// and changing <see cref="Data"/> after <see cref="SafeTensors.Write"/> returns does not change the file.
/// </remarks>
/// <param name="Name">The tensor's name in the file, e.g. <c>lstm.0.weight_ih</c>.</param>
/// <param name="Shape">The size of each dimension, outermost first; an empty shape is a scalar of one element.</param>
/// <param name="Data">The elements, row-major; its length is the product of <paramref name="Shape"/>.</param>
public sealed record TensorEntry(string Name, int[] Shape, float[] Data);
