namespace NetScsi.Transport;

/// <summary>One data PDU of a transfer: [Offset, Offset + Length) of the task's data.</summary>
/// <param name="Offset">Buffer offset of the data.</param>
/// <param name="Length">Its length (the PDU's DataSegmentLength).</param>
/// <param name="DataSN">The PDU's DataSN.</param>
/// <param name="Final">F: the last PDU of its sequence.</param>
/// <param name="Last">The last PDU of the whole range.</param>
internal readonly record struct DataSegment(int Offset, int Length, uint DataSN, bool Final, bool Last);

/// <summary>
/// Cuts a range of a task's data into data PDUs, for Data-In and Data-Out alike (RFC 7143 §11.7): each at most the
/// receiver's MaxRecvDataSegmentLength, sequences of at most <c>burstLength</c> bytes that end with F, DataSN counting
/// up from where it starts. The one place data PDU sequencing is decided.
/// </summary>
internal struct DataSegmenter
{
    private readonly int _end;
    private readonly int _maxSegment;
    private readonly int _burstLength;
    private int _offset;
    private int _burstUsed;
    private uint _dataSN;

    /// <param name="start">First byte.</param>
    /// <param name="end">End of the range (exclusive).</param>
    /// <param name="maxSegment">The receiver's MaxRecvDataSegmentLength.</param>
    /// <param name="burstLength">Most bytes per sequence (MaxBurstLength; a Data-Out sequence's own length).</param>
    /// <param name="firstDataSN">DataSN of the first PDU.</param>
    public DataSegmenter(int start, int end, int maxSegment, int burstLength, uint firstDataSN = 0)
    {
        _offset = start;
        _end = end;
        _maxSegment = Math.Max(1, maxSegment);
        _burstLength = Math.Max(1, burstLength);
        _dataSN = firstDataSN;
    }

    public bool Next(out DataSegment segment)
    {
        if (_offset >= _end)
        {
            segment = default;
            return false;
        }
        int length = Math.Min(Math.Min(_maxSegment, _end - _offset), _burstLength - _burstUsed);
        bool last = _offset + length == _end;
        _burstUsed += length;
        bool final = last || _burstUsed == _burstLength;
        if (_burstUsed == _burstLength)
        {
            _burstUsed = 0;
        }
        segment = new DataSegment(_offset, length, _dataSN++, final, last);
        _offset += length;
        return true;
    }
}
