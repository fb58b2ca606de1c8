namespace CharLstm.Numerics;

/// <summary>
/// A matrix as the products read it: element [i, j] at <c>Data[i·RowStride + j·ColumnStride]</c>.
/// Row-major storage has a column stride of 1; the same memory with the strides swapped is its
/// transpose (<see cref="Transposed"/>), so Aᵀ and PyTorch's (out, in) weights are read in place and
/// never copied. A view owns nothing: the memory must stay pinned while it is used.
/// </summary>
internal readonly unsafe struct MatrixView
{
    /// <summary>A view of <paramref name="rows"/> × <paramref name="columns"/> elements read through the given strides.</summary>
    public MatrixView(float* data, int rows, int columns, int rowStride, int columnStride = 1)
    {
        Data = data;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    /// <summary>Element [0, 0].</summary>
    public float* Data { get; }
    /// <summary>Number of rows.</summary>
    public int Rows { get; }
    /// <summary>Number of columns.</summary>
    public int Columns { get; }
    /// <summary>Elements between [i, j] and [i + 1, j].</summary>
    public int RowStride { get; }
    /// <summary>Elements between [i, j] and [i, j + 1]; 1 for row-major storage.</summary>
    public int ColumnStride { get; }

    /// <summary>A packed row-major matrix: rows <paramref name="columns"/> apart.</summary>
    public static MatrixView Dense(float* data, int rows, int columns) => new(data, rows, columns, columns);

    /// <summary>The same memory read as the transpose: (Columns, Rows).</summary>
    public MatrixView Transposed => new(Data, Columns, Rows, ColumnStride, RowStride);

    /// <summary>Where element [<paramref name="row"/>, <paramref name="column"/>] lives.</summary>
    public float* At(int row, int column) => Data + (long)row * RowStride + (long)column * ColumnStride;

    /// <summary>Rows [<paramref name="first"/>, <paramref name="first"/> + <paramref name="count"/>) as a view.</summary>
    public MatrixView RowRange(int first, int count) => new(At(first, 0), count, Columns, RowStride, ColumnStride);

    /// <summary>True when each row's elements are contiguous (column stride 1).</summary>
    public bool IsRowMajor => ColumnStride == 1;
}
