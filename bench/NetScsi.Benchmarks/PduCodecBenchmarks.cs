using System.Buffers;
using BenchmarkDotNet.Attributes;
using NetScsi.Iscsi.Digests;
using NetScsi.Iscsi.Pdus;

namespace NetScsi.Benchmarks;

/// <summary>
/// The wire codec on its own: header parse/encode, frame location with and without digests, CRC32C.
/// None of it may allocate (ARCHITECTURE.md, "Data path").
/// </summary>
[MemoryDiagnoser]
public class PduCodecBenchmarks
{
    private const int DataOutLength = 4096;

    private readonly byte[] _scsiCommand = new byte[Bhs.Length];
    private readonly byte[] _header = new byte[Bhs.Length];
    private readonly byte[] _sense = new byte[2 + 18];
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly byte[] _crc4K = new byte[4 * 1024];
    private readonly byte[] _crc64K = new byte[64 * 1024];
    private ReadOnlySequence<byte> _dataOut;
    private ReadOnlySequence<byte> _dataOutWithDigests;

    [GlobalSetup]
    public void Setup()
    {
        var command = new ScsiCommandPdu
        {
            Final = true,
            Read = true,
            Attributes = 1,
            InitiatorTaskTag = 0x1234,
            ExpectedDataTransferLength = 4096,
            CmdSN = 77,
            ExpStatSN = 12,
        };
        ReadOnlySpan<byte> read10 = [0x28, 0, 0, 0, 0x08, 0, 0, 0, 8, 0];
        read10.CopyTo(command.Cdb);
        command.WriteTo(_scsiCommand);

        new Random(42).NextBytes(_crc4K);
        new Random(43).NextBytes(_crc64K);

        _dataOut = new ReadOnlySequence<byte>(BuildDataOut(digests: false));
        _dataOutWithDigests = new ReadOnlySequence<byte>(BuildDataOut(digests: true));
        // Sanity: the frames must parse, or the benchmarks measure an early exit.
        if (ReadDataOut() != PduReadResult.Complete || ReadDataOutWithDigests() != PduReadResult.Complete)
        {
            throw new InvalidOperationException("Benchmark Data-Out frames do not parse.");
        }
    }

    private static byte[] BuildDataOut(bool digests)
    {
        var header = new byte[Bhs.Length];
        new DataOutPdu
        {
            Final = true,
            DataSegmentLength = DataOutLength,
            InitiatorTaskTag = 0x1234,
            TargetTransferTag = 0x10,
            ExpStatSN = 12,
            DataSN = 0,
            BufferOffset = 0,
        }.WriteTo(header);
        var data = new byte[DataOutLength];
        new Random(44).NextBytes(data);
        var writer = new ArrayBufferWriter<byte>();
        PduWriter.Write(writer, header, data, digests, digests);
        return writer.WrittenSpan.ToArray();
    }

    [Benchmark]
    public uint ParseScsiCommand()
    {
        var pdu = ScsiCommandPdu.Parse(_scsiCommand);
        return pdu.CmdSN + pdu.ExpectedDataTransferLength + pdu.Cdb[0];
    }

    [Benchmark]
    public byte WriteDataInHeader()
    {
        new DataInPdu
        {
            Final = true,
            HasStatus = true,
            Status = 0,
            DataSegmentLength = 4096,
            InitiatorTaskTag = 0x1234,
            TargetTransferTag = Bhs.ReservedTag,
            StatSN = 100,
            ExpCmdSN = 78,
            MaxCmdSN = 205,
            DataSN = 0,
            BufferOffset = 0,
        }.WriteTo(_header);
        return _header[1];
    }

    /// <summary>A SCSI Response with 18 bytes of fixed-format sense, BHS and data segment through <see cref="PduWriter"/>.</summary>
    [Benchmark]
    public int WriteScsiResponse()
    {
        _output.ResetWrittenCount();
        Span<byte> header = stackalloc byte[Bhs.Length];
        new ScsiResponsePdu
        {
            Status = 0x02,
            DataSegmentLength = _sense.Length,
            InitiatorTaskTag = 0x1234,
            StatSN = 100,
            ExpCmdSN = 78,
            MaxCmdSN = 205,
        }.WriteTo(header);
        PduWriter.Write(_output, header, _sense, headerDigest: false, dataDigest: false);
        return _output.WrittenCount;
    }

    [Benchmark]
    public PduReadResult ReadDataOut() => PduReader.TryRead(_dataOut, 262144, headerDigest: false, dataDigest: false, out _);

    [Benchmark]
    public PduReadResult ReadDataOutWithDigests() => PduReader.TryRead(_dataOutWithDigests, 262144, headerDigest: true, dataDigest: true, out _);

    [Benchmark]
    public uint Crc32C4K() => Crc32C.Compute(_crc4K);

    [Benchmark]
    public uint Crc32C64K() => Crc32C.Compute(_crc64K);
}
