using System.CommandLine;
using System.Globalization;
using NetScsi.Cli.Configuration;
using NetScsi.Cli.Initiator;
using NetScsi.Cli.Json.Output;
using NetScsi.Cli.Nodes;
using NetScsi.Cli.Parsing;
using NetScsi.Iscsi.Initiator;
using Spectre.Console;

namespace NetScsi.Cli.Commands;

/// <summary><c>netscsi node list|show|update|delete</c>: saved targets, usable by name in place of a URL.</summary>
internal static class NodeCommand
{
    public static Command Create(CliContext context) => new("node", "Manage saved node records (portal, target, CHAP, digests)")
    {
        List(context),
        Show(context),
        Update(context),
        Delete(context),
    };

    private static Command List(CliContext context)
    {
        var options = new InitiatorOptions(context);
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("list", "List node records") { json };
        options.AddTo(command, sessionOptions: false);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, async () =>
        {
            var store = options.Read(parseResult).Nodes;
            var records = store.LoadAll();
            if (parseResult.GetValue(json))
            {
                await Output.WriteJsonAsync(context, new NodeListJson(store.Directory, records.Select(r => ToJson(r, showSecrets: false)).ToList()), CliOutputJsonContext.Default.NodeListJson).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var console = Output.Console(context);
            if (records.Count == 0)
            {
                console.WriteLine($"No node records in {store.Directory}.");
                return ExitCodes.Success;
            }

            var table = Output.Table(context, "Name", "Portal", "Target", "Auth", "Digests");
            foreach (var r in records)
            {
                Output.AddRow(table, r.Name, r.Portal, r.Target, Auth(r), $"{r.HeaderDigest ?? "None"}/{r.DataDigest ?? "None"}");
            }

            console.Write(table);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Show(CliContext context)
    {
        var options = new InitiatorOptions(context);
        var name = new Argument<string>("name") { Description = "Node record name" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var secrets = new Option<bool>("--show-secrets") { Description = "Print CHAP secrets instead of ********" };
        var command = new Command("show", "Show one node record") { name, json, secrets };
        options.AddTo(command, sessionOptions: false);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, async () =>
        {
            var store = options.Read(parseResult).Nodes;
            var record = Load(store, parseResult.GetValue(name)!);
            bool showSecrets = parseResult.GetValue(secrets);
            if (parseResult.GetValue(json))
            {
                await Output.WriteJsonAsync(context, ToJson(record, showSecrets), CliOutputJsonContext.Default.NodeJson).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var table = Output.Table(context, "Field", "Value");
            Output.AddRow(table, "Name", record.Name);
            Output.AddRow(table, "File", store.PathOf(record.Name));
            Output.AddRow(table, "Portal", record.Portal);
            Output.AddRow(table, "Target", record.Target);
            Output.AddRow(table, "Initiator name", record.InitiatorName ?? "(default)");
            Output.AddRow(table, "CHAP", record.Chap is null ? "-" : $"{record.Chap.User}:{(showSecrets ? record.Chap.Secret : "********")}");
            Output.AddRow(table, "Mutual CHAP", record.MutualChap is null ? "-" : $"{record.MutualChap.User}:{(showSecrets ? record.MutualChap.Secret : "********")}");
            Output.AddRow(table, "Header digest", record.HeaderDigest ?? "None");
            Output.AddRow(table, "Data digest", record.DataDigest ?? "None");
            Output.AddRow(table, "MaxRecvDataSegmentLength", record.MaxRecvDataSegmentLength?.ToString(CultureInfo.InvariantCulture) ?? "(default)");
            Output.AddRow(table, "ImmediateData", record.ImmediateData is bool i ? (i ? "Yes" : "No") : "(default)");
            Output.AddRow(table, "InitialR2T", record.InitialR2T is bool r2t ? (r2t ? "Yes" : "No") : "(default)");
            Output.AddRow(table, "Timeout", record.TimeoutSeconds is double t ? $"{t.ToString(CultureInfo.InvariantCulture)} s" : "(default)");
            Output.Console(context).Write(table);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Update(CliContext context)
    {
        var options = new InitiatorOptions(context);
        var name = new Argument<string>("name") { Description = "Node record name (created when --portal and --target are given and it does not exist)" };
        var portal = new Option<string>("--portal") { Description = "HOST[:PORT]", HelpName = "HOST:PORT" };
        var target = new Option<string>("--target") { Description = "Target IQN", HelpName = "IQN" };
        var initiatorName = new Option<string>("--initiator-name") { Description = "Initiator name to log in with", HelpName = "IQN" };
        var chap = new Option<ChapConfig>("--chap") { Description = "CHAP credentials USER:SECRET", HelpName = "USER:SECRET", CustomParser = r => ParseChap(r, "--chap") };
        var mutualChap = new Option<ChapConfig>("--mutual-chap") { Description = "Mutual CHAP credentials USER:SECRET", HelpName = "USER:SECRET", CustomParser = r => ParseChap(r, "--mutual-chap") };
        var noChap = new Option<bool>("--no-chap") { Description = "Remove the CHAP and mutual CHAP credentials" };
        var headerDigest = new Option<string>("--header-digest") { Description = "None or CRC32C", HelpName = "None|CRC32C" };
        var dataDigest = new Option<string>("--data-digest") { Description = "None or CRC32C", HelpName = "None|CRC32C" };
        var mrdsl = new Option<int?>("--max-recv-data-segment-length") { Description = "MaxRecvDataSegmentLength to declare (512..16777215)", HelpName = "BYTES" };
        var immediate = new Option<bool?>("--immediate-data") { Description = "ImmediateData to offer (true/false)", HelpName = "BOOL" };
        var initialR2T = new Option<bool?>("--initial-r2t") { Description = "InitialR2T to offer (true/false)", HelpName = "BOOL" };
        var timeout = new Option<double?>("--timeout") { Description = "Login and command timeout in seconds", HelpName = "SECONDS" };
        var command = new Command("update", "Create or change a node record")
        {
            name, portal, target, initiatorName, chap, mutualChap, noChap, headerDigest, dataDigest, mrdsl, immediate, initialR2T, timeout,
        };
        options.AddTo(command, sessionOptions: false);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, async () =>
        {
            var store = options.Read(parseResult).Nodes;
            string nodeName = parseResult.GetValue(name)!;
            if (!NodeStore.IsValidName(nodeName, out var nameError))
            {
                throw CliException.Usage(nameError!);
            }

            var record = store.TryLoad(nodeName);
            bool created = record is null;
            if (record is null)
            {
                if (parseResult.GetValue(portal) is null || parseResult.GetValue(target) is null)
                {
                    throw CliException.Usage($"no node record '{nodeName}' in {store.Directory}; give --portal and --target to create it");
                }

                record = new NodeRecord { Name = nodeName };
            }

            if (parseResult.GetValue(portal) is { } p)
            {
                if (!IscsiUrl.TryParse("iscsi://" + p, out var url, out var error) || !url.IsDiscoveryOnly || url.User is not null)
                {
                    throw CliException.Usage($"--portal '{p}': {error ?? "expected HOST[:PORT]"}");
                }

                record.Portal = p;
            }

            if (parseResult.GetValue(target) is { } t)
            {
                if (!IscsiNameValidator.TryValidate(t, out var error))
                {
                    throw CliException.Usage($"--target: {error}");
                }

                record.Target = t;
            }

            if (parseResult.GetValue(initiatorName) is { } i)
            {
                if (!IscsiNameValidator.TryValidate(i, out var error))
                {
                    throw CliException.Usage($"--initiator-name: {error}");
                }

                record.InitiatorName = i;
            }

            if (parseResult.GetValue(noChap))
            {
                record.Chap = null;
                record.MutualChap = null;
            }

            if (parseResult.GetValue(chap) is { } c)
            {
                record.Chap = new NodeChap { User = c.User, Secret = c.Secret };
            }

            if (parseResult.GetValue(mutualChap) is { } m)
            {
                record.MutualChap = new NodeChap { User = m.User, Secret = m.Secret };
            }

            record.HeaderDigest = Digest(parseResult.GetValue(headerDigest), "--header-digest") ?? record.HeaderDigest;
            record.DataDigest = Digest(parseResult.GetValue(dataDigest), "--data-digest") ?? record.DataDigest;
            if (parseResult.GetValue(mrdsl) is int length)
            {
                record.MaxRecvDataSegmentLength = length is >= 512 and <= 16777215 ? length : throw CliException.Usage("--max-recv-data-segment-length must be 512 to 16777215");
            }

            record.ImmediateData = parseResult.GetValue(immediate) ?? record.ImmediateData;
            record.InitialR2T = parseResult.GetValue(initialR2T) ?? record.InitialR2T;
            if (parseResult.GetValue(timeout) is double seconds)
            {
                record.TimeoutSeconds = seconds > 0 ? seconds : throw CliException.Usage("--timeout must be more than 0");
            }

            store.Save(record);
            await context.Output.WriteLineAsync($"{(created ? "Created" : "Updated")} node {record.Name} ({store.PathOf(record.Name)})").ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static Command Delete(CliContext context)
    {
        var options = new InitiatorOptions(context);
        var name = new Argument<string>("name") { Description = "Node record name" };
        var command = new Command("delete", "Delete a node record") { name };
        options.AddTo(command, sessionOptions: false);
        command.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(context, async () =>
        {
            var store = options.Read(parseResult).Nodes;
            string nodeName = parseResult.GetValue(name)!;
            if (!store.Delete(nodeName))
            {
                throw CliException.Usage($"no node record '{nodeName}' in {store.Directory}");
            }

            await context.Output.WriteLineAsync($"Deleted node {nodeName}").ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken));
        return command;
    }

    private static NodeRecord Load(NodeStore store, string name) =>
        store.TryLoad(name) ?? throw CliException.Usage($"no node record '{name}' in {store.Directory}");

    private static string Auth(NodeRecord r) => r.MutualChap is not null ? "mutual CHAP" : r.Chap is not null ? "CHAP" : "None";

    private static string? Digest(string? value, string name)
    {
        if (value is null)
        {
            return null;
        }

        return DigestParser.TryParse(value, out bool crc) ? DigestParser.Format(crc) : throw CliException.Usage($"{name} '{value}': expected None or CRC32C");
    }

    private static ChapConfig? ParseChap(System.CommandLine.Parsing.ArgumentResult result, string name)
    {
        if (ChapParser.TryParse(result.Tokens[^1].Value, name, out var chap, out var error))
        {
            return chap;
        }

        result.AddError(error!);
        return null;
    }

    private static NodeJson ToJson(NodeRecord r, bool showSecrets) => new(
        r.Name, r.Portal, r.Target, r.InitiatorName, ToJson(r.Chap, showSecrets), ToJson(r.MutualChap, showSecrets),
        r.HeaderDigest ?? "None", r.DataDigest ?? "None", r.MaxRecvDataSegmentLength, r.ImmediateData, r.InitialR2T, r.TimeoutSeconds);

    private static NodeChapJson? ToJson(NodeChap? chap, bool showSecrets) =>
        chap is null ? null : new NodeChapJson(chap.User, showSecrets ? chap.Secret : "********");
}
