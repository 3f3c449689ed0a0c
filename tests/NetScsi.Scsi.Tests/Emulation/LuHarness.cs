using System.Buffers.Binary;
using NetScsi.Iscsi.Session;
using NetScsi.Scsi.Emulation;

namespace NetScsi.Scsi.Tests.Emulation;

/// <summary>Runs CDBs against a <see cref="BlockLogicalUnit"/> over a <see cref="TestBlockDevice"/>.</summary>
internal sealed class LuHarness
{
    public static readonly ItNexus DefaultNexus = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init1", 1, 1);
    public static readonly ItNexus OtherNexus = IscsiTransportIdCodec.CreateNexus("iqn.2024-01.test:init2", 2, 2);

    /// <summary>The iSCSI initiator port name of a nexus ("name,i,0x&lt;ISID&gt;").</summary>
    public static string PortName(ItNexus nexus) => IscsiTransportIdCodec.Instance.Format(nexus.InitiatorPort);

    /// <summary>The iSCSI initiator device name of a nexus.</summary>
    public static string DeviceName(ItNexus nexus) => IscsiTransportIdCodec.Instance.Format(nexus.InitiatorDevice);

    public LuHarness(TestBlockDevice device, LogicalUnitOptions options)
    {
        Device = device;
        Unit = new BlockLogicalUnit(device, options);
    }

    public TestBlockDevice Device { get; }

    public BlockLogicalUnit Unit { get; }

    public int BlockSize => Device.BlockSize;

    /// <summary>A unit whose power-on unit attention has already been consumed on the default nexus.</summary>
    public static async Task<LuHarness> CreateAsync(
        long blocks = 1024,
        int blockSize = 512,
        bool thin = true,
        bool readOnlyDevice = false,
        LogicalUnitOptions? options = null,
        bool consumeUnitAttention = true)
    {
        var harness = new LuHarness(new TestBlockDevice(blocks, blockSize, thin, readOnlyDevice), options ?? new LogicalUnitOptions());
        if (consumeUnitAttention)
        {
            ScsiTask tur = await harness.RunAsync(Cdbs.TestUnitReady());
            Assert.Equal(SenseKey.UnitAttention, SenseOf(tur).Key);
        }
        return harness;
    }

    public async Task<ScsiTask> RunAsync(byte[] cdb, int dataIn = 0, byte[]? dataOut = null, ItNexus? nexus = null, TaskAttribute attribute = TaskAttribute.Simple)
    {
        ScsiTask task = NewTask(cdb, dataIn, dataOut, nexus, attribute);
        await Unit.ExecuteAsync(task, CancellationToken.None);
        return task;
    }

    public static ScsiTask NewTask(byte[] cdb, int dataIn = 0, byte[]? dataOut = null, ItNexus? nexus = null, TaskAttribute attribute = TaskAttribute.Simple)
    {
        var task = new ScsiTask
        {
            Nexus = nexus ?? DefaultNexus,
            Attribute = attribute,
        };
        task.SetCdb(cdb);
        if (dataOut is not null)
        {
            task.Direction = DataDirection.Write;
            task.ExpectedDataTransferLength = dataOut.Length;
            task.Buffer = dataOut;
        }
        else if (dataIn > 0)
        {
            task.Direction = DataDirection.Read;
            task.ExpectedDataTransferLength = dataIn;
            task.Buffer = new byte[dataIn];
        }
        return task;
    }

    public static (SenseKey Key, ushort Asc) SenseOf(ScsiTask task)
    {
        if (task.SenseLength == 0)
        {
            return (SenseKey.NoSense, 0);
        }
        Assert.True(SenseData.TryParse(task.Sense, out SenseKey key, out byte asc, out byte ascq));
        return (key, (ushort)((asc << 8) | ascq));
    }

    public static void AssertGood(ScsiTask task)
    {
        Assert.True(task.Status == ScsiStatus.Good, $"expected GOOD, got {task.Status} {SenseOf(task)}");
    }

    public static void AssertCheckCondition(ScsiTask task, SenseKey key, ushort asc)
    {
        Assert.Equal(ScsiStatus.CheckCondition, task.Status);
        (SenseKey actualKey, ushort actualAsc) = SenseOf(task);
        Assert.Equal(key, actualKey);
        Assert.Equal(asc.ToString("X4"), actualAsc.ToString("X4"));
    }

    public static ReadOnlySpan<byte> DataIn(ScsiTask task) => task.Buffer.Span[..task.DataInLength];

    public static ushort U16(ReadOnlySpan<byte> d, int offset) => BinaryPrimitives.ReadUInt16BigEndian(d[offset..]);

    public static uint U32(ReadOnlySpan<byte> d, int offset) => BinaryPrimitives.ReadUInt32BigEndian(d[offset..]);

    public static ulong U64(ReadOnlySpan<byte> d, int offset) => BinaryPrimitives.ReadUInt64BigEndian(d[offset..]);
}
