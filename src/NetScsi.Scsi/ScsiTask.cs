using System.Runtime.CompilerServices;
using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi;

/// <summary>
/// One SCSI command on its way through a logical unit. Pooled and reused by the transport: nothing
/// in it is specific to a transport protocol. The transport sets the inputs, calls
/// <see cref="ILogicalUnit.ExecuteAsync"/>, then reads the outputs.
/// </summary>
public sealed class ScsiTask
{
    /// <summary>Largest CDB accepted (SPC-4 §4.2.3: variable-length CDBs; transports carry them as they can).</summary>
    public const int MaxCdbLength = 260;

    /// <summary>Largest sense data kept (SPC-4 allows up to 252 bytes).</summary>
    public const int MaxSenseLength = 252;

    private readonly byte[] _cdb = new byte[MaxCdbLength];
    private readonly byte[] _sense = new byte[MaxSenseLength];

    // ---- inputs (set by the transport) ----

    /// <summary>The I_T nexus the command arrived on.</summary>
    public ItNexus Nexus { get; set; } = null!;

    /// <summary>The 8-byte LUN field as received (SAM-5 §4.7), e.g. 0x0001000000000000 for LUN 1 (peripheral addressing).</summary>
    public ulong Lun { get; set; }

    public TaskAttribute Attribute { get; set; }

    /// <summary>Transport tag identifying the task within its nexus (SAM-5 §4.8: the task tag). Opaque to SCSI.</summary>
    public uint Tag { get; set; }

    public DataDirection Direction { get; set; }

    /// <summary>
    /// Expected Data Transfer Length: how many bytes the initiator allocated for (read) or will send (write).
    /// </summary>
    public int ExpectedDataTransferLength { get; set; }

    /// <summary>
    /// The data buffer owned by the transport. For <see cref="DataDirection.Write"/>: the bytes received
    /// (its length is what arrived, at most <see cref="ExpectedDataTransferLength"/>). For
    /// <see cref="DataDirection.Read"/>: where the unit writes data-in; its length is
    /// <see cref="ExpectedDataTransferLength"/>.
    /// </summary>
    public Memory<byte> Buffer { get; set; }

    /// <summary>
    /// The other units of the target device the command arrived through, for commands that name them (EXTENDED
    /// COPY). <see cref="ScsiTargetDevice.ExecuteAsync"/> sets it; null when a unit is called directly.
    /// </summary>
    public ILogicalUnitResolver? LogicalUnits { get; set; }

    /// <summary>
    /// The transport takes read data from where the unit's storage holds it (<see cref="StoredDataIn"/>), so a unit
    /// whose storage can offer it (a file in memory) may leave it there instead of copying it into <see cref="Buffer"/>.
    /// </summary>
    public bool AcceptsStoredDataIn { get; set; }

    public int CdbLength { get; private set; }

    public ReadOnlySpan<byte> Cdb => _cdb.AsSpan(0, CdbLength);

    public void SetCdb(ReadOnlySpan<byte> cdb)
    {
        if (cdb.Length > MaxCdbLength)
        {
            throw new ArgumentOutOfRangeException(nameof(cdb));
        }
        cdb.CopyTo(_cdb);
        CdbLength = cdb.Length;
    }

    // ---- outputs (set by the logical unit) ----

    public ScsiStatus Status { get; set; }

    /// <summary>Bytes of data-in written to <see cref="Buffer"/> (reads); 0 for writes.</summary>
    public int DataInLength { get; set; }

    /// <summary>
    /// When not null, the data-in is not in <see cref="Buffer"/>: it is still in the unit's storage (only when
    /// <see cref="AcceptsStoredDataIn"/>). The task keeps its place in the logical unit's task set, so no later
    /// ORDERED task can change those blocks, until the transport has sent them and calls <see cref="ReleaseDataIn"/>:
    /// a task is complete when its data and status are delivered (SAM-5 §5.5), and until then its data must not change.
    /// </summary>
    public StoredData? StoredDataIn { get; private set; }

    private TaskSetGate? _heldGate;
    private TaskAttribute _heldAttribute;

    /// <summary>The unit leaves the data-in in storage; see <see cref="StoredDataIn"/>.</summary>
    internal void SetStoredDataIn(StoredData data)
    {
        StoredDataIn = data;
        DataInLength = data.Length;
    }

    /// <summary>The task stays admitted to <paramref name="gate"/> until <see cref="ReleaseDataIn"/>.</summary>
    internal void HoldTaskSetUntilDataInReleased(TaskSetGate gate, TaskAttribute attribute)
    {
        _heldGate = gate;
        _heldAttribute = attribute;
    }

    /// <summary>
    /// The transport is done with <see cref="StoredDataIn"/> (sent, or dropped because the task was aborted or the
    /// connection failed): the task leaves its unit's task set. Idempotent; <see cref="Reset"/> calls it too.
    /// </summary>
    public void ReleaseDataIn()
    {
        TaskSetGate? gate = _heldGate;
        _heldGate = null;
        StoredDataIn = null;
        gate?.Exit(_heldAttribute);
    }

    /// <summary>
    /// How many bytes the command itself asked to transfer (READ/WRITE: blocks × block size; INQUIRY:
    /// allocation length capped by what exists), regardless of <see cref="ExpectedDataTransferLength"/>.
    /// The transport derives residual overflow/underflow from it (RFC 7143 §11.4.5). -1 = not set,
    /// the transport then uses the data actually moved.
    /// </summary>
    public long CommandTransferLength { get; set; } = -1;

    /// <summary>
    /// Which sense format <see cref="ScsiTaskSenseExtensions.CheckCondition(ScsiTask, SenseKey, byte, byte)"/>
    /// writes: descriptor (0x72) when true, fixed (0x70) when false. The logical unit sets it from its
    /// Control mode page D_SENSE bit (SPC-4 §7.5.8) before it executes the command.
    /// </summary>
    public bool DescriptorSenseFormat { get; set; }

    public int SenseLength { get; private set; }

    public ReadOnlySpan<byte> Sense => _sense.AsSpan(0, SenseLength);

    /// <summary>Writable sense buffer for encoders; call <see cref="SetSenseLength"/> afterwards.</summary>
    public Span<byte> SenseBuffer => _sense;

    public void SetSenseLength(int length)
    {
        if ((uint)length > MaxSenseLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }
        SenseLength = length;
    }

    /// <summary>Clears outputs and inputs so the pooled instance can be reused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reset()
    {
        ReleaseDataIn();
        AcceptsStoredDataIn = false;
        Nexus = null!;
        Lun = 0;
        Attribute = TaskAttribute.Simple;
        Tag = 0;
        Direction = DataDirection.None;
        ExpectedDataTransferLength = 0;
        Buffer = default;
        LogicalUnits = null;
        CdbLength = 0;
        Status = ScsiStatus.Good;
        DataInLength = 0;
        CommandTransferLength = -1;
        SenseLength = 0;
        DescriptorSenseFormat = false;
    }
}
