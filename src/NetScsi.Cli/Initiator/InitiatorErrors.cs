using System.Net.Sockets;
using NetScsi.Cli.Configuration;
using NetScsi.Iscsi.Initiator;
using NetScsi.Iscsi.Login;
using NetScsi.Transport.Aoe.Client;

namespace NetScsi.Cli.Initiator;

/// <summary>
/// Exceptions from the initiator library → a message and an exit code (<see cref="ExitCodes"/>).
/// Nothing here prints a stack trace: every failure a user can meet has a sentence.
/// </summary>
internal static class InitiatorErrors
{
    /// <summary>Connecting and logging in to <paramref name="target"/> failed.</summary>
    public static CliException Connect(Exception e, ResolvedTarget target, bool discovery, CancellationToken cancellationToken)
    {
        string what = discovery ? $"discovery at {target.Portal}" : $"login to {target.Describe()}";
        return e switch
        {
            CliException cli => cli,
            IscsiLoginRedirectException redirect => new CliException(ExitCodes.LoginFailure,
                $"{what}: the target redirects to {redirect.TargetAddress ?? "an unspecified portal"}; connect there instead", e),
            IscsiLoginException login => new CliException(ExitCodes.LoginFailure, $"{what} failed: {DescribeLogin(login)}", e),
            SocketException socket => new CliException(ExitCodes.ConnectFailure, $"cannot connect to {target.Portal}: {socket.Message}", e),
            IOException { InnerException: SocketException socket } => new CliException(ExitCodes.ConnectFailure, $"cannot connect to {target.Portal}: {socket.Message}", e),
            OperationCanceledException when cancellationToken.IsCancellationRequested => new CliException(ExitCodes.Interrupted, "interrupted", e),
            OperationCanceledException or TimeoutException =>
                new CliException(ExitCodes.ConnectFailure, $"{what}: no answer within {target.Options.LoginTimeout.TotalSeconds:0.###} s (--timeout)", e),
            IscsiProtocolException or InvalidDataException => new CliException(ExitCodes.TargetMisbehaved, $"{what}: the target broke the protocol: {e.Message}", e),
            IOException io => new CliException(ExitCodes.ConnectFailure, $"{what}: connection failed: {Innermost(io).Message}", e),
            _ => Unexpected(e),
        };
    }

    /// <summary>A failure after login (a command, the connection, the protocol).</summary>
    public static CliException Operation(Exception e, string? where, CancellationToken cancellationToken)
    {
        string prefix = where is null ? "" : where + ": ";
        return e switch
        {
            CliException cli => cli,
            AoeException { IsTimeout: true } aoe => new CliException(ExitCodes.ConnectFailure, prefix + aoe.Message, e),
            AoeException aoe => new CliException(ExitCodes.ScsiError, prefix + aoe.Message, e),
            ScsiCommandException scsi => new CliException(ExitCodes.ScsiError, $"{prefix}SCSI command failed: {scsi.Message}", e),
            IscsiCommandTimeoutException => new CliException(ExitCodes.TargetMisbehaved, $"{prefix}the target did not answer a command in time (--timeout); it was aborted", e),
            IscsiConnectionException conn => new CliException(ExitCodes.ConnectFailure, $"{prefix}{conn.Message}", e),
            IscsiProtocolException or InvalidDataException => new CliException(ExitCodes.TargetMisbehaved, $"{prefix}the target broke the protocol: {e.Message}", e),
            IscsiLoginException login => new CliException(ExitCodes.LoginFailure, $"{prefix}login failed: {DescribeLogin(login)}", e),
            SocketException socket => new CliException(ExitCodes.ConnectFailure, $"{prefix}connection failed: {socket.Message}", e),
            OperationCanceledException when cancellationToken.IsCancellationRequested => new CliException(ExitCodes.Interrupted, "interrupted", e),
            OperationCanceledException => new CliException(ExitCodes.TargetMisbehaved, $"{prefix}a command was aborted: {e.Message}", e),
            UnauthorizedAccessException => new CliException(ExitCodes.RuntimeFailure, prefix + e.Message, e),
            IOException io => new CliException(ExitCodes.ConnectFailure, $"{prefix}connection failed: {Innermost(io).Message}", e),
            _ => Unexpected(e),
        };
    }

    private static CliException Unexpected(Exception e) =>
        new(ExitCodes.RuntimeFailure, $"unexpected error: {UserMessages.Of(e)}", e);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static string DescribeLogin(IscsiLoginException e)
    {
        string hint = e.Status switch
        {
            LoginStatusCode.AuthenticationFailure when e.ReportedByTarget => " (wrong or missing CHAP credentials? see --chap)",
            LoginStatusCode.AuthenticationFailure => " (the target failed mutual CHAP: check --mutual-chap)",
            LoginStatusCode.AuthorizationFailure => " (this initiator name is not allowed: see --initiator-name)",
            LoginStatusCode.NotFound => " (no such target: check the IQN with `netscsi discover`)",
            _ => "",
        };
        return e.Message.TrimEnd('.') + hint;
    }
}
