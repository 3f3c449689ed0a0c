namespace NetScsi.Scsi.Emulation;

/// <summary>What RECEIVE COPY RESULTS (COPY STATUS) reports for one held EXTENDED COPY.</summary>
/// <param name="Succeeded">COPY MANAGER STATUS 01h (completed without error) or 02h (completed with error).</param>
/// <param name="SegmentsProcessed">Segment descriptors fully processed.</param>
/// <param name="BytesTransferred">Bytes written to copy destinations.</param>
internal readonly record struct CopyResult(bool Succeeded, int SegmentsProcessed, long BytesTransferred);
