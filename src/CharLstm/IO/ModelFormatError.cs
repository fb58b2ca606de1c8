namespace CharLstm.IO;

/// <summary>What is wrong with a model file; carried by <see cref="ModelFormatException"/>.</summary>
public enum ModelFormatError
{
    /// <summary>The file has no bytes at all.</summary>
    Empty,

    /// <summary>The file is shorter than the 8-byte header length prefix.</summary>
    TooShort,

    /// <summary>The header length prefix is larger than <see cref="SafeTensorsLimits.MaxHeaderBytes"/>.</summary>
    HeaderTooLarge,

    /// <summary>The header length prefix points past the end of the file.</summary>
    HeaderPastEnd,

    /// <summary>The header bytes are not valid UTF-8.</summary>
    HeaderNotUtf8,

    /// <summary>The header is not valid JSON.</summary>
    HeaderNotJson,

    /// <summary>The header is JSON but not an object starting at its first byte.</summary>
    HeaderNotObject,

    /// <summary>A JSON object in the header has the same key twice.</summary>
    DuplicateKey,

    /// <summary>A tensor entry is not an object, misses a field, or has a field of the wrong type or value.</summary>
    BadTensorEntry,

    /// <summary>A tensor's dtype is not one of the names the safetensors format defines.</summary>
    UnknownDtype,

    /// <summary>A tensor's dtype is a valid safetensors dtype that this reader does not read (only F32 is read).</summary>
    UnsupportedDtype,

    /// <summary>A tensor's shape has more elements than can be counted or held in one array.</summary>
    ShapeOverflow,

    /// <summary>A tensor's byte range does not match its shape and dtype.</summary>
    ByteLengthMismatch,

    /// <summary>Two tensors' byte ranges overlap.</summary>
    OffsetsOverlap,

    /// <summary>Bytes of the data section belong to no tensor (including before the first one).</summary>
    OffsetsGap,

    /// <summary>A tensor's byte range runs past the end of the file.</summary>
    OffsetsPastEnd,

    /// <summary>Bytes follow the last tensor's data.</summary>
    TrailingBytes,

    /// <summary>The <c>__metadata__</c> entry is not an object of string keys to string values.</summary>
    BadMetadata,

    /// <summary>The header lists more tensors than <see cref="SafeTensorsLimits.MaxTensorCount"/>.</summary>
    TooManyTensors,

    /// <summary>A tensor holds NaN or an infinity.</summary>
    NonFiniteValue,

    /// <summary>A tensor the reader needs is not in the file.</summary>
    MissingTensor,

    /// <summary>The file holds a tensor the model does not expect.</summary>
    UnexpectedTensor,

    /// <summary>A tensor's shape differs from the one the model expects.</summary>
    ShapeMismatch,

    /// <summary>The vocabulary in the file does not match the tensors' sizes or the data it is used with.</summary>
    VocabularyMismatch,

    /// <summary>The vocabulary stored in the file is malformed.</summary>
    BadVocabulary,

    /// <summary>The file does not say it is a model file of this program.</summary>
    UnknownFormat,

    /// <summary>The file was written by a newer version of the format than this program reads.</summary>
    NewerVersion,

    /// <summary>The file could not be opened or read.</summary>
    Io,

    /// <summary>The file is something else (a PyTorch zip or pickle, text, GGUF, HDF5, gzip), told by its first bytes.</summary>
    NotSafeTensors,
}
