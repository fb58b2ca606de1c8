namespace CharLstm.Model;

/// <summary>The four tensors of one LSTM layer k, gate rows in PyTorch's order i, f, g, o.</summary>
/// <param name="InputWeights"><c>lstm.weight_ih_lk</c> (4H, In).</param>
/// <param name="RecurrentWeights"><c>lstm.weight_hh_lk</c> (4H, H).</param>
/// <param name="InputBias"><c>lstm.bias_ih_lk</c> (4H).</param>
/// <param name="RecurrentBias"><c>lstm.bias_hh_lk</c> (4H).</param>
public sealed record LstmLayerTensors(ParameterTensor InputWeights, ParameterTensor RecurrentWeights, ParameterTensor InputBias, ParameterTensor RecurrentBias);
