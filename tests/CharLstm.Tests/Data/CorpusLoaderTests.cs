using System.Security.Cryptography;
using System.Text;
using CharLstm.Data;


namespace CharLstm.Tests.Data;

public sealed class CorpusLoaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Loads_file_with_name_sha_and_text()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("to be\r\nor not 🙂")];
        string path = _temp.Write("play.txt", bytes);

        Corpus corpus = CorpusLoader.LoadFile(path, CorpusOptions.Default);

        Assert.Equal("play.txt", corpus.Name);
        Assert.Equal(path, corpus.Source);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), corpus.Sha256);
        Assert.Equal(TextScalars.FromString("to be\r\nor not 🙂"), corpus.Scalars);
        Assert.Equal(15, corpus.Length); // the emoji counts once
    }

    [Fact]
    public void Invalid_utf8_error_names_the_file()
    {
        string path = _temp.Write("latin1.txt", [(byte)'c', (byte)'a', (byte)'f', 0xE9]);
        var error = Assert.Throws<CorpusException>(() => CorpusLoader.LoadFile(path, CorpusOptions.Default));
        Assert.Contains(path, error.Message);
        Assert.Contains("byte offset 3", error.Message);
    }

    [Fact]
    public void Missing_path_says_what_to_pass()
    {
        string path = Path.Combine(_temp.Path, "nope.txt");
        var error = Assert.Throws<CorpusException>(() => CorpusLoader.LoadPath(path, CorpusOptions.Default));
        Assert.Contains("No such file or folder", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Throws<CorpusException>(() => CorpusLoader.LoadFile(path, CorpusOptions.Default));
        Assert.Throws<CorpusException>(() => CorpusLoader.LoadFolder(path, CorpusOptions.Default));
        Assert.Throws<CorpusException>(() => CorpusLoader.LoadPath("", CorpusOptions.Default));
    }

    [Fact]
    public void Unreadable_file_is_a_corpus_exception()
    {
        // Through the real CLI. Root reads everything, so as root the CLI runs as 'nobody' (setpriv):
        // the file's missing permissions then apply, as they do for any user.
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Windows permissions are not Unix modes.");
        }
        else
        {
            using var cli = new CliRunner();
            string path = cli.PathOf("secret.txt");
            File.WriteAllText(path, "x");
            File.SetUnixFileMode(path, UnixFileMode.None);
            var result = Environment.UserName == "root"
                ? cli.RunAsNobody("train", path, "--out", cli.PathOf("run"))
                : cli.Run("train", path, "--out", cli.PathOf("run"));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("permission denied", result.Stderr);
            Assert.Contains(path, result.Stderr);
            Assert.False(Directory.Exists(cli.PathOf("run")));
        }
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF })]
    public void Empty_file_is_an_error(byte[] bytes)
    {
        string path = _temp.Write("empty.txt", bytes);
        var error = Assert.Throws<CorpusException>(() => CorpusLoader.LoadFile(path, CorpusOptions.Default));
        Assert.Contains("empty", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Binary_file_is_refused_when_named_directly()
    {
        string path = _temp.Write("model.bin", [1, 2, 0, 3]);
        var error = Assert.Throws<CorpusException>(() => CorpusLoader.LoadFile(path, CorpusOptions.Default));
        Assert.Contains("binary", error.Message);
        Assert.Contains("offset 2", error.Message);
    }

    [Fact]
    public void Options_apply_to_files()
    {
        string path = _temp.Write("a.txt", "ABC\r\nD\r");
        var options = new CorpusOptions { Lowercase = true, NormalizeNewlines = true };
        Assert.Equal(TextScalars.FromString("abc\nd\n"), CorpusLoader.LoadFile(path, options).Scalars);
    }

    [Fact]
    public void Folder_joins_text_files_in_ordinal_order_and_skips_binary_and_hidden()
    {
        string root = Path.Combine(_temp.Path, "books");
        _temp.Write("books/b.txt", "bee");
        _temp.Write("books/a/z.txt", "zed");
        _temp.Write("books/B.txt", "Bee"); // ordinal: 'B' < 'a' < 'b'
        _temp.Write("books/a/image.png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0, 0, 0]);
        _temp.Write("books/.git/config", "[core]");
        _temp.Write("books/.notes", "secret");
        var warnings = new List<string>();

        Corpus corpus = CorpusLoader.LoadFolder(root, CorpusOptions.Default, warnings.Add);

        Assert.Equal("Bee\nzed\nbee", TextScalars.ToText(corpus.Scalars));
        Assert.Equal("books", corpus.Name);
        Assert.Contains("3 text files", corpus.Source);
        byte[] joined = Encoding.UTF8.GetBytes("Bee\nzed\nbee");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(joined)), corpus.Sha256);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("a/image.png") && w.Contains("binary"));
        Assert.Contains(warnings, w => w.Contains("2 hidden files or folders"));
        Assert.Equal(corpus.Scalars, CorpusLoader.LoadPath(root, CorpusOptions.Default).Scalars);
    }

    [Fact]
    public void Folder_with_invalid_utf8_text_is_an_error_naming_the_file()
    {
        _temp.Write("books/good.txt", "fine");
        string bad = _temp.Write("books/latin1.txt", [(byte)'n', 0xE9, (byte)'e']);
        var error = Assert.Throws<CorpusException>(
            () => CorpusLoader.LoadFolder(Path.Combine(_temp.Path, "books"), CorpusOptions.Default));
        Assert.Contains(bad, error.Message);
        Assert.Contains("byte offset 1", error.Message);
    }

    [Fact]
    public void Folder_without_text_files_is_an_error()
    {
        _temp.Write("bin/a.bin", [0, 1]);
        var warnings = new List<string>();
        var error = Assert.Throws<CorpusException>(
            () => CorpusLoader.LoadFolder(Path.Combine(_temp.Path, "bin"), CorpusOptions.Default, warnings.Add));
        Assert.Contains("no text files", error.Message);
        Assert.Contains("1 binary file skipped", error.Message);
        Assert.Single(warnings);

        Directory.CreateDirectory(Path.Combine(_temp.Path, "nothing"));
        error = Assert.Throws<CorpusException>(
            () => CorpusLoader.LoadFolder(Path.Combine(_temp.Path, "nothing"), CorpusOptions.Default));
        Assert.Contains("no text files", error.Message);
    }

    [Fact]
    public void Folder_of_empty_files_is_an_empty_corpus()
    {
        _temp.Write("blank/a.txt", "");
        var error = Assert.Throws<CorpusException>(
            () => CorpusLoader.LoadFolder(Path.Combine(_temp.Path, "blank"), CorpusOptions.Default));
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public async Task Load_async_takes_local_paths_and_rejects_other_schemes()
    {
        string path = _temp.Write("local.txt", "local");
        var download = new CorpusDownloadOptions { CacheDirectory = Path.Combine(_temp.Path, "cache") };
        Corpus corpus = await CorpusLoader.LoadAsync(path, CorpusOptions.Default, download, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("local", TextScalars.ToText(corpus.Scalars));

        var error = await Assert.ThrowsAsync<CorpusException>(
            () => CorpusLoader.LoadAsync("ftp://example.com/a.txt", CorpusOptions.Default, download, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("ftp", error.Message);
    }
}
