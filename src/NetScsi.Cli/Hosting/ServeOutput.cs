namespace NetScsi.Cli.Hosting;

/// <summary>Where the banner goes (stdout; a StringWriter in tests). Logs go to stderr.</summary>
internal sealed record ServeOutput(TextWriter Writer);
