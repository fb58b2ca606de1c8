using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CharLstm.Cli.Commands.Common;

/// <summary>
/// What System.CommandLine prints, in the words of this tool: enum values in lower case in the help, and
/// parse errors that name the option, the value and what it should be, never a .NET type name.
/// </summary>
internal static partial class CommandLineText
{
    /// <summary>
    /// Shows the values of every enum option of the tree in lower case, as they are typed. Enum options have no
    /// default value (their descriptions name it), since the help would print the default with a capital.
    /// </summary>
    public static void LowercaseEnums(Command root)
    {
        foreach (var option in AllOptions(root))
        {
            if (EnumType(option.ValueType) is not { } type) continue;
            if (option.HasDefaultValue)
                throw new InvalidOperationException($"{option.Name}: give an enum option no default value; name it in the description.");
            option.HelpName ??= string.Join("|", Enum.GetNames(type).Select(n => n.ToLowerInvariant()));
        }
    }

    /// <summary>
    /// The parse errors as sentences a user can act on, one per line. A word the root does not know is one error
    /// ("not a verb"), not also a missing verb.
    /// </summary>
    public static IEnumerable<string> Describe(IReadOnlyList<ParseError> errors, Command command)
    {
        if (command.Subcommands.Count > 0 && errors.Select(e => Unrecognized().Match(e.Message)).FirstOrDefault(m => m.Success) is { } word)
            return [$"'{word.Groups["value"].Value}' is not a verb; name one of: {Verbs(command)}. Each has --help with examples."];
        return errors.Select(e => Describe(e, command));
    }

    /// <summary>One parse error as a sentence a user can act on.</summary>
    public static string Describe(ParseError error, Command command)
    {
        if (command.Subcommands.Count > 0 && error.SymbolResult is CommandResult { Command: var c } && c == command && !command.Options.Any(o => o.Required)
            && error.Message.StartsWith("Required command", StringComparison.Ordinal))
            return $"name a verb: {Verbs(command)}. Each has --help with examples.";
        if (error.Message.StartsWith("Required argument missing", StringComparison.Ordinal)
            && command.Arguments.FirstOrDefault() is { } argument)
        {
            string what = argument.Description is { Length: > 0 } d ? $" ({char.ToLowerInvariant(d[0])}{d[1..].TrimEnd('.')})" : "";
            return $"the {argument.Name.ToUpperInvariant()} argument is missing{what}.";
        }
        if (NotAmong().Match(error.Message) is { Success: true } among)
        {
            string option = error.SymbolResult switch
            {
                OptionResult o => o.Option.Name,
                ArgumentResult { Parent: OptionResult o } => o.Option.Name,
                ArgumentResult a => a.Argument.Name,
                _ => "the value",
            };
            var allowed = among.Groups["allowed"].Captures.Select(c => c.Value);
            return $"{option}: '{among.Groups["value"].Value}' is not one of {string.Join(", ", allowed)}.";
        }
        var m = CannotParse().Match(error.Message);
        if (!m.Success) return error.Message;
        string value = m.Groups["value"].Value, name = m.Groups["name"].Value;
        var type = AllOptions(command).FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name))?.ValueType
            ?? command.Arguments.FirstOrDefault(a => a.Name == name)?.ValueType;
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if ((type == typeof(int) || type == typeof(long) || type == typeof(ulong)) && WholeNumber().IsMatch(value))
            return $"{name}: '{value}' is too {(value.StartsWith('-') ? "small" : "large")} a number for this option.";
        return $"{name}: '{value}' is not {Expected(type)}.";
    }

    private static string Verbs(Command command) => string.Join(", ", command.Subcommands.Select(v => v.Name));

    /// <summary>The library's unknown-character message with the option that skips them named.</summary>
    public static string SkipUnknownAdvice(string message)
    {
        const string Skip = "or skip unknown characters.";
        if (!message.EndsWith(Skip, StringComparison.Ordinal)) return message;
        string pronoun = message.Contains("Remove it ", StringComparison.Ordinal) ? "it" : "them";
        return $"{message[..^Skip.Length]}or pass --unknown skip to drop {pronoun}.";
    }

    // "a whole number", "one of error, skip", ... for a value type (nullable or not).
    private static string Expected(Type? type)
    {
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (type is null) return "a valid value";
        if (EnumType(type) is { } e) return "one of " + string.Join(", ", Enum.GetNames(e).Select(n => n.ToLowerInvariant()));
        if (type == typeof(int)) return "a whole number";
        if (type == typeof(long)) return "a whole number";
        if (type == typeof(ulong)) return $"a whole number from 0 to {ulong.MaxValue.ToString(CultureInfo.InvariantCulture)}";
        if (type == typeof(float) || type == typeof(double)) return "a number (such as 0.8 or 2e-3)";
        if (type == typeof(bool)) return "true or false";
        return "a valid value";
    }

    private static Type? EnumType(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is { IsEnum: true } e ? e : null;

    private static IEnumerable<Option> AllOptions(Command command) =>
        command.Options.Concat(command.Subcommands.SelectMany(AllOptions));

    [GeneratedRegex(@"^Argument '(?<value>.*)' not recognized\. Must be one of:(\s*'(?<allowed>[^']*)')+")]
    private static partial Regex NotAmong();

    [GeneratedRegex("^Unrecognized command or argument '(?<value>.*)'")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex WholeNumber();

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<name>[^']*)'")]
    private static partial Regex CannotParse();
}
