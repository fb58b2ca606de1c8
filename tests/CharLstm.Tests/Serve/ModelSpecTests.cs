using CharLstm.Cli.Commands.Common;
using CharLstm.Cli.Commands.Serve;

namespace CharLstm.Tests.Serve;

/// <summary>How serve names a model from --model: NAME=PATH, else its run folder's name or its file's.</summary>
public sealed class ModelSpecTests
{
    [Fact]
    public void A_model_is_named_as_given_or_after_its_run_folder_or_file()
    {
        Assert.Equal(new ModelSpec("shakespeare", ServedRun.ModelFile), ModelSpec.Parse("shakespeare=" + ServedRun.Folder));
        Assert.Equal(new ModelSpec("run", ServedRun.ModelFile), ModelSpec.Parse(ServedRun.Folder));
        Assert.Equal(new ModelSpec("run", ServedRun.ModelFile), ModelSpec.Parse(ServedRun.ModelFile));
        Assert.Equal("lone", ModelSpec.Parse(ServedRun.LoneModelFile).Name);
    }

    [Fact]
    public void A_name_with_other_characters_is_a_usage_error()
    {
        var e = Assert.Throws<UsageException>(() => ModelSpec.Parse("my model!=" + ServedRun.Folder));
        Assert.Contains("may only have letters, digits", e.Message, StringComparison.Ordinal);
    }
}
