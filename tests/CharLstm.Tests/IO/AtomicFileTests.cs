using CharLstm.IO;

namespace CharLstm.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("charlstm-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private string[] FilesInFolder() => [.. Directory.GetFiles(_folder).Select(Path.GetFileName).Order()!];

    [Fact]
    public void Write_creates_the_file_and_leaves_no_temporary()
    {
        string path = PathOf("model.safetensors");

        AtomicFile.Write(path, stream => stream.Write([1, 2, 3]));

        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], FilesInFolder());
    }

    [Fact]
    public void Write_replaces_the_previous_file()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllBytes(path, [9, 9, 9, 9, 9]);

        AtomicFile.Write(path, stream => stream.Write([1, 2]));

        Assert.Equal(new byte[] { 1, 2 }, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], FilesInFolder());
    }

    [Fact]
    public void Write_keeps_the_previous_file_when_the_writer_throws()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllBytes(path, [9, 9, 9]);

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write([1, 2, 3, 4, 5, 6]);
            stream.Flush();
            throw new InvalidOperationException("writer failed halfway");
        }));

        Assert.Equal("writer failed halfway", e.Message);
        Assert.Equal(new byte[] { 9, 9, 9 }, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], FilesInFolder());
    }

    [Fact]
    public void Write_creates_nothing_when_the_writer_throws_and_there_was_no_file()
    {
        Assert.Throws<InvalidOperationException>(() =>
            AtomicFile.Write(PathOf("model.safetensors"), _ => throw new InvalidOperationException()));

        Assert.Empty(FilesInFolder());
    }

    [Fact]
    public void Write_works_when_the_writer_closes_the_stream()
    {
        string path = PathOf("model.safetensors");

        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream);
            writer.Write(42);
        });

        Assert.Equal(BitConverter.GetBytes(42), File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], FilesInFolder());
    }

    [Fact]
    public void Write_uses_a_hidden_temporary_in_the_same_folder()
    {
        string path = PathOf("model.safetensors");
        string[] seen = [];

        AtomicFile.Write(path, stream =>
        {
            stream.WriteByte(1);
            seen = FilesInFolder();
        });

        string temporary = Assert.Single(seen);
        Assert.StartsWith(".model.safetensors.", temporary);
        Assert.EndsWith(".tmp", temporary);
        Assert.True(AtomicFile.IsTemporaryName(temporary));
    }

    [Fact]
    public void Write_throws_and_creates_nothing_when_the_folder_does_not_exist()
    {
        string path = PathOf(Path.Combine("missing", "model.safetensors"));

        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(path, stream => stream.WriteByte(1)));
        Assert.Empty(FilesInFolder());
    }

    [Fact]
    public void Clean_stale_temporaries_removes_only_old_temporaries_of_this_class()
    {
        string stale = PathOf(".model.safetensors.0123456789abcdef.tmp");
        string fresh = PathOf(".model.safetensors.fedcba9876543210.tmp");
        string othersTemporary = PathOf(".model.safetensors.tmp");
        string checkpoint = PathOf("model.safetensors");
        foreach (string file in new[] { stale, fresh, othersTemporary, checkpoint })
        {
            File.WriteAllBytes(file, [1]);
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        }

        File.SetLastWriteTimeUtc(fresh, DateTime.UtcNow);

        AtomicFile.CleanStaleTemporaries(_folder, cutoffUtc: DateTime.UtcNow.AddHours(-1));

        Assert.Equal(
            [".model.safetensors.fedcba9876543210.tmp", ".model.safetensors.tmp", "model.safetensors"],
            FilesInFolder());
    }

    [Fact]
    public void Clean_stale_temporaries_uses_the_process_start_as_cutoff_and_ignores_a_missing_folder()
    {
        string stale = PathOf(".a.0123456789abcdef.tmp");
        File.WriteAllBytes(stale, [1]);
        File.SetLastWriteTimeUtc(stale, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        AtomicFile.CleanStaleTemporaries(_folder);
        AtomicFile.CleanStaleTemporaries(PathOf("missing"));

        Assert.Empty(FilesInFolder());
    }
}
