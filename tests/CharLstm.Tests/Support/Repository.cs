namespace CharLstm.Tests.Support;

/// <summary>The repository the tests were built from.</summary>
internal static class Repository
{
    /// <summary>The folder holding CharLstm.slnx, found upwards from the test binaries.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CharLstm.slnx"))) return dir.FullName;
        throw new InvalidOperationException("no CharLstm.slnx above " + AppContext.BaseDirectory);
    }
}
