namespace CharLstm.IO;

/// <summary>One tensor as the header describes it, checked against its own dtype and shape but not yet against the file.</summary>
internal sealed record HeaderTensor(string Name, int[] Shape, int Count, long Begin, long End, int HeaderIndex);
