
using NetScsi.Iscsi.Configuration;

namespace NetScsi.Iscsi.Target;

/// <summary>
/// Applies <see cref="IscsiTargetLimits"/>: counts connections per initiator address and connections still in
/// login, admits or refuses each accepted connection, and judges a new session against the session counts the
/// server reports. One per server; thread-safe.
/// </summary>
internal sealed class ConnectionAdmission
{
    private readonly IscsiTargetLimits _limits;
    private readonly object _lock = new();
    private readonly Dictionary<string, int> _connectionsByAddress = new();
    private int _inLogin;

    public ConnectionAdmission(IscsiTargetLimits limits)
    {
        _limits = limits;
    }

    /// <summary>Connections admitted whose login has not ended.</summary>
    public int ConnectionsInLogin => Volatile.Read(ref _inLogin);

    /// <summary>Admits a connection from <paramref name="address"/> (null: a transport without addresses), or says why not.</summary>
    public bool TryAdmit(string? address, out Ticket? ticket, out string? refusal)
    {
        lock (_lock)
        {
            if (_inLogin >= _limits.MaxConnectionsInLogin)
            {
                ticket = null;
                refusal = $"{_inLogin} connections are in login (limit {_limits.MaxConnectionsInLogin})";
                return false;
            }

            int fromAddress = 0;
            if (address is not null && _connectionsByAddress.TryGetValue(address, out fromAddress) && fromAddress >= _limits.MaxConnectionsPerInitiatorAddress)
            {
                ticket = null;
                refusal = $"{fromAddress} connections from {address} (limit {_limits.MaxConnectionsPerInitiatorAddress})";
                return false;
            }

            if (address is not null)
            {
                _connectionsByAddress[address] = fromAddress + 1;
            }

            _inLogin++;
        }

        ticket = new Ticket(this, address);
        refusal = null;
        return true;
    }

    /// <summary>Whether a new normal session may be created, given the live sessions of its target and address.</summary>
    public bool AllowsSession(int sessionsOfTarget, int sessionsFromAddress, out string? refusal)
    {
        refusal = sessionsOfTarget >= _limits.MaxSessionsPerTarget
            ? $"the target has {sessionsOfTarget} sessions (limit {_limits.MaxSessionsPerTarget})"
            : sessionsFromAddress >= _limits.MaxSessionsPerInitiatorAddress
                ? $"{sessionsFromAddress} sessions from this address (limit {_limits.MaxSessionsPerInitiatorAddress})"
                : null;
        return refusal is null;
    }

    private void Release(string? address, bool inLogin)
    {
        lock (_lock)
        {
            if (inLogin)
            {
                _inLogin--;
            }

            if (address is not null && _connectionsByAddress.TryGetValue(address, out int count))
            {
                if (count <= 1)
                {
                    _connectionsByAddress.Remove(address);
                }
                else
                {
                    _connectionsByAddress[address] = count - 1;
                }
            }
        }
    }

    private void LeaveLogin()
    {
        lock (_lock)
        {
            _inLogin--;
        }
    }

    /// <summary>One admitted connection's place in the counts; <see cref="Dispose"/> when the connection ends.</summary>
    internal sealed class Ticket : IDisposable
    {
        private const int InLogin = 0;
        private const int LoggedIn = 1;
        private const int Released = 2;

        private readonly ConnectionAdmission _owner;
        private int _state;

        public Ticket(ConnectionAdmission owner, string? address)
        {
            _owner = owner;
            Address = address;
        }

        public string? Address { get; }

        /// <summary>The login completed (full feature phase): the connection no longer counts as in login.</summary>
        public void LoginCompleted()
        {
            if (Interlocked.CompareExchange(ref _state, LoggedIn, InLogin) == InLogin)
            {
                _owner.LeaveLogin();
            }
        }

        public void Dispose()
        {
            int previous = Interlocked.Exchange(ref _state, Released);
            if (previous != Released)
            {
                _owner.Release(Address, inLogin: previous == InLogin);
            }
        }
    }
}
