namespace NetScsi.Cli.Configuration;

/// <summary>
/// An exception's message as a user should read it: its first line, without the " (Parameter 'x')" and
/// "Actual value was ..." that <see cref="ArgumentException"/> appends for programmers.
/// </summary>
internal static class UserMessages
{
    public static string Of(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name })
        {
            int cut = message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            if (cut >= 0)
            {
                message = message[..cut];
            }
        }

        int newline = message.IndexOfAny(['\r', '\n']);
        return newline >= 0 ? message[..newline] : message;
    }
}
