using NetScsi.Scsi.Alua;

namespace NetScsi.Iscsi.Initiator.Multipath;

/// <summary>
/// Which path of a multipath LUN commands go to: a state machine without sockets or timers. Each path is up (its
/// session runs) or down, and has the ALUA state its own target port group reported in REPORT TARGET PORT GROUPS
/// (null: the unit has no ALUA, so every up path is as good as any). The choice: the first up path, in the order
/// given, that is active/optimized (or without ALUA); else the first up active/non-optimized one; never a standby,
/// unavailable or transitioning one. The first in order, not round robin, so that every initiator given the same
/// paths uses the same gateway and an RBD image's lock stays where it is. A path that refused a command for its
/// state (NOT READY 04h/0Ah, 0Bh, 0Ch) or reported ASYMMETRIC ACCESS STATE CHANGED is stale: not chosen until its
/// state is read again. Not thread-safe: the caller serializes.
/// </summary>
public sealed class PathSelector
{
    private readonly bool[] _up;
    private readonly AsymmetricAccessState?[] _state;
    private readonly bool[] _stale;
    private int _current = -1;
    private int _lastUsed = -1;

    /// <param name="count">Number of paths (at least 1); all start down.</param>
    public PathSelector(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _up = new bool[count];
        _state = new AsymmetricAccessState?[count];
        _stale = new bool[count];
    }

    /// <summary>Number of paths.</summary>
    public int Count => _up.Length;

    /// <summary>The path to use, or -1 when none is usable (commands wait).</summary>
    public int Current => _current;

    /// <summary>Whether some path's state must be read again (a refusal, a state-change attention, or no usable path).</summary>
    public bool NeedsRefresh
    {
        get
        {
            if (_current < 0)
            {
                return true;
            }

            for (int i = 0; i < _stale.Length; i++)
            {
                if (_up[i] && _stale[i])
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether path <paramref name="path"/> is up.</summary>
    public bool IsUp(int path) => _up[path];

    /// <summary>Path <paramref name="path"/>'s last reported ALUA state (null: no ALUA, or not read yet).</summary>
    public AsymmetricAccessState? StateOf(int path) => _state[path];

    /// <summary>Whether path <paramref name="path"/>'s state must be read again before it is used.</summary>
    public bool IsStale(int path) => _stale[path];

    /// <summary>
    /// A failover: the path used before (the last one a command completed on, see <see cref="Completed"/>) differs
    /// from <see cref="Current"/>. -1 when there is none.
    /// </summary>
    public int FailedOverFrom => _lastUsed >= 0 && _current >= 0 && _current != _lastUsed ? _lastUsed : -1;

    /// <summary>Path <paramref name="path"/>'s session logged in (with its state read) or came back.</summary>
    public void PathUp(int path, AsymmetricAccessState? state)
    {
        _up[path] = true;
        _state[path] = state;
        _stale[path] = false;
        Choose();
    }

    /// <summary>Path <paramref name="path"/>'s session failed, or its connection is being recovered.</summary>
    public void PathDown(int path)
    {
        _up[path] = false;
        Choose();
    }

    /// <summary>REPORT TARGET PORT GROUPS on path <paramref name="path"/> gave <paramref name="state"/> for its group.</summary>
    public void StateRead(int path, AsymmetricAccessState? state)
    {
        _state[path] = state;
        _stale[path] = false;
        Choose();
    }

    /// <summary>
    /// Path <paramref name="path"/> refused a command for its state (NOT READY, 04h/0Ah-0Ch) or reported
    /// ASYMMETRIC ACCESS STATE CHANGED: do not use it until its state is read again (the caller re-reads every path's
    /// then, since one group's change usually comes with another's).
    /// </summary>
    public void StateChanged(int path)
    {
        _stale[path] = true;
        Choose();
    }

    /// <summary>A command completed on <paramref name="path"/>: it is the one in use.</summary>
    public void Completed(int path) => _lastUsed = path;

    private void Choose()
    {
        int nonOptimized = -1;
        for (int i = 0; i < _up.Length; i++)
        {
            if (!_up[i] || _stale[i])
            {
                continue;
            }

            switch (_state[i])
            {
                case null or AsymmetricAccessState.ActiveOptimized:
                    _current = i;
                    return;
                case AsymmetricAccessState.ActiveNonOptimized when nonOptimized < 0:
                    nonOptimized = i;
                    break;
            }
        }

        _current = nonOptimized;
    }
}
