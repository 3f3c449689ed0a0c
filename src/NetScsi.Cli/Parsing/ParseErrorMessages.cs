using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace NetScsi.Cli.Parsing;

/// <summary>
/// System.CommandLine's parse errors → the one sentence <c>netscsi</c> prints. An unknown sub-command
/// also produces "Required command was not provided."; only the unknown word matters then. Messages that
/// would name .NET types ("as expected type 'System.UInt64'") are rewritten in the option's own terms.
/// </summary>
internal static partial class ParseErrorMessages
{
    public static string Describe(ParseResult parseResult)
    {
        var command = parseResult.CommandResult.Command;
        if (parseResult.UnmatchedTokens.Count > 0)
        {
            string token = parseResult.UnmatchedTokens[0];
            return command.Subcommands.Count > 0 && !token.StartsWith('-')
                ? $"unknown command '{token}' for '{CliApplication.CommandPath(parseResult)}' (one of: {SubcommandNames(command)})"
                : $"unknown option or argument '{token}'";
        }

        string message = parseResult.Errors[0].Message;
        if (command.Subcommands.Count > 0 && parseResult.Errors.Count == 1 && command.Action is null)
        {
            return $"'{CliApplication.CommandPath(parseResult)}' needs a command (one of: {SubcommandNames(command)})";
        }

        if (UnparsableValue().Match(message) is { Success: true } unparsable)
        {
            return $"{unparsable.Groups["option"].Value} '{unparsable.Groups["value"].Value}': expected {Expected(unparsable.Groups["type"].Value)}";
        }

        if (MissingArgument().Match(message) is { Success: true })
        {
            return $"missing {string.Join(" and ", MissingArguments(parseResult.CommandResult))} (usage: {Usage(parseResult)})";
        }

        return message.TrimEnd('.');
    }

    private static string SubcommandNames(Command command) => string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));

    private static IEnumerable<string> MissingArguments(CommandResult result)
    {
        foreach (var argument in result.Command.Arguments)
        {
            if (result.GetResult(argument) is not { Tokens.Count: > 0 })
            {
                yield return argument.Name.ToUpperInvariant();
            }
        }
    }

    private static string Usage(ParseResult parseResult) =>
        CliApplication.CommandPath(parseResult) + string.Concat(parseResult.CommandResult.Command.Arguments.Select(a => " " + a.Name.ToUpperInvariant()));

    // What a value of a .NET type looks like to a user.
    private static string Expected(string type) => type switch
    {
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("UInt", StringComparison.Ordinal) || type.Contains("Byte", StringComparison.Ordinal) => "a whole number, 0 or more",
        _ when type.Contains("Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ => "a different value",
    };

    [GeneratedRegex("^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex UnparsableValue();

    [GeneratedRegex("^Required argument missing for command")]
    private static partial Regex MissingArgument();
}
