using System.Buffers.Binary;
using NetScsi.Iscsi.Initiator;
using NetScsi.Scsi;
using NetScsi.Scsi.Commands;
using NetScsi.Scsi.Emulation;
using NetScsi.Transport.Tcp;

namespace NetScsi.Interop.Tests;

/// <summary>
/// APTPL against the real <c>netscsi</c> process: registrations and a reservation made with APTPL = 1 through
/// NetScsi's initiator survive stopping and starting the target on the same file LUN (state in "&lt;file&gt;.pr").
/// </summary>
public sealed class PersistentReservationRestartTests : IDisposable
{
    private const string Iqn = "iqn.2026-11.org.netscsi:pr-restart";
    private const ulong Lun = 0;
    private const ulong KeyA = 0xA1A1;
    private const ulong KeyB = 0xB2B2;

    private readonly string _work = Directory.CreateTempSubdirectory("netscsi-interop-pr-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static async Task<IscsiSession> ConnectAsync(int port, string initiator, ulong isid)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var session = await IscsiSession.ConnectAsync(new IscsiSessionOptions
        {
            Portal = new TcpPortal("127.0.0.1", port),
            Connector = new TcpTransport(),
            TargetName = Iqn,
            InitiatorName = initiator,
            Isid = isid, // the same initiator port after the restart: same I_T nexus
            CommandTimeout = TimeSpan.FromSeconds(20),
            ReplacementTimeout = TimeSpan.FromSeconds(5),
        }, cts.Token);
        await session.TestUnitReadyAsync(Lun, cts.Token); // takes the power-on unit attention
        return session;
    }

    private static byte[] PrOutCdb(byte serviceAction, byte type = 0)
    {
        byte[] cdb = new byte[PersistentReserveOutCdb.Length];
        new PersistentReserveOutCdb(serviceAction, (PersistentReservationType)type).WriteTo(cdb);
        return cdb;
    }

    private static byte[] PrOutParameters(ulong key, ulong serviceActionKey, bool aptpl)
    {
        byte[] p = new byte[PersistentReserveOutParameters.Length];
        new PersistentReserveOutParameters(key, serviceActionKey, aptpl ? PersistentReserveOutParameters.ActivatePersistThroughPowerLossBit : (byte)0).WriteTo(p);
        return p;
    }

    private static async Task PrOutAsync(IscsiSession session, byte serviceAction, ulong key, ulong serviceActionKey = 0, byte type = 0, bool aptpl = false)
    {
        ScsiResult result = await session.ExecuteAsync(Lun, PrOutCdb(serviceAction, type), default, PrOutParameters(key, serviceActionKey, aptpl));
        Assert.True(result.IsGood, $"PERSISTENT RESERVE OUT {serviceAction:x2}: {result.Describe()}");
    }

    private static async Task<byte[]> PrInAsync(IscsiSession session, byte serviceAction)
    {
        byte[] cdb = new byte[PersistentReserveInCdb.Length];
        new PersistentReserveInCdb(serviceAction, 256).WriteTo(cdb);
        byte[] data = new byte[256];
        ScsiResult result = await session.ExecuteAsync(Lun, cdb, data, default);
        Assert.True(result.IsGood, $"PERSISTENT RESERVE IN {serviceAction:x2}: {result.Describe()}");
        return data[..result.DataInLength];
    }

    private static async Task<ScsiResult> Write10Async(IscsiSession session)
    {
        byte[] cdb = new byte[BlockCdb.MaxLength];
        int length = BlockCdb.Create(ScsiOpcode.Write10, 0, 1).WriteTo(cdb);
        return await session.ExecuteAsync(Lun, cdb.AsMemory(0, length), default, new byte[512]);
    }

    [Fact]
    public async Task Aptpl_RegistrationsAndReservation_SurviveATargetRestart()
    {
        string file = Path.Combine(_work, "lun0.img");
        string[] serve = ["--listen", "127.0.0.1:0", "--iqn", Iqn, "--lun", $"file:{file},size=16M", "--log-level", "warning"];

        await using (var first = await NetScsiTargetProcess.StartAsync(_work, serve))
        {
            await using IscsiSession a = await ConnectAsync(first.Port, "iqn.2026-11.org.netscsi:pr-a", 0x40_0000_00A1);
            await using IscsiSession b = await ConnectAsync(first.Port, "iqn.2026-11.org.netscsi:pr-b", 0x40_0000_00B2);
            await PrOutAsync(a, 0x00, 0, KeyA, aptpl: true);            // REGISTER
            await PrOutAsync(b, 0x06, 0, KeyB, aptpl: true);            // REGISTER AND IGNORE EXISTING KEY
            await PrOutAsync(a, 0x01, KeyA, type: 0x01);                // RESERVE, Write Exclusive
            Assert.True(File.Exists(file + ".pr"), "no reservation state file next to the LUN's file");
            await a.LogoutAsync();
            await b.LogoutAsync();
            await first.StopGracefullyAsync();
        }

        await using var second = await NetScsiTargetProcess.StartAsync(_work, serve);
        await using IscsiSession a2 = await ConnectAsync(second.Port, "iqn.2026-11.org.netscsi:pr-a", 0x40_0000_00A1);
        await using IscsiSession b2 = await ConnectAsync(second.Port, "iqn.2026-11.org.netscsi:pr-b", 0x40_0000_00B2);

        byte[] keys = await PrInAsync(a2, 0x00); // READ KEYS
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32BigEndian(keys.AsSpan(4)));
        ulong[] listed = [BinaryPrimitives.ReadUInt64BigEndian(keys.AsSpan(8)), BinaryPrimitives.ReadUInt64BigEndian(keys.AsSpan(16))];
        Array.Sort(listed);
        Assert.Equal([KeyA, KeyB], listed);

        byte[] reservation = await PrInAsync(b2, 0x01); // READ RESERVATION
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32BigEndian(reservation.AsSpan(4)));
        Assert.Equal(KeyA, BinaryPrimitives.ReadUInt64BigEndian(reservation.AsSpan(8)));
        Assert.Equal(0x01, reservation[21] & 0x0F);

        Assert.Equal(ScsiStatus.ReservationConflict, (await Write10Async(b2)).Status);
        ScsiResult holderWrite = await Write10Async(a2);
        Assert.True(holderWrite.IsGood, $"holder's WRITE(10): {holderWrite.Describe()}");

        await a2.LogoutAsync();
        await b2.LogoutAsync();
        await second.StopGracefullyAsync();
    }
}
