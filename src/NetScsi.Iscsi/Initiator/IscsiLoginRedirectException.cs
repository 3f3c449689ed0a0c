using NetScsi.Iscsi.Login;

namespace NetScsi.Iscsi.Initiator;

/// <summary>
/// The target redirected the login (status class 1, RFC 7143 §11.13.5): the initiator should log in
/// at <see cref="TargetAddress"/> instead.
/// </summary>
public sealed class IscsiLoginRedirectException : IscsiLoginException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">TargetMovedTemporarily (0x0101) or TargetMovedPermanently (0x0102).</param>
    /// <param name="targetAddress">The TargetAddress key of the response (<c>host[:port][,tpgt]</c>), or null if the target sent none.</param>
    public IscsiLoginRedirectException(LoginStatusCode status, string? targetAddress)
        : base(status, targetAddress is null
            ? $"The target redirected the login ({status}) without a TargetAddress."
            : $"The target redirected the login ({status}) to {targetAddress}.")
    {
        TargetAddress = targetAddress;
        ReportedByTarget = true;
    }

    /// <summary>Where to log in instead (<c>domainname[:port][,portal-group-tag]</c>, RFC 7143 §13.8).</summary>
    public string? TargetAddress { get; }

    /// <summary>True for TargetMovedPermanently.</summary>
    public bool IsPermanentMove => Status == LoginStatusCode.TargetMovedPermanently;
}
