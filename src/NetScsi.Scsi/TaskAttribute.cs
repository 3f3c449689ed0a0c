namespace NetScsi.Scsi;

/// <summary>SAM-5 task attributes. Values match iSCSI's ATTR field (RFC 7143 §11.3.1).</summary>
public enum TaskAttribute : byte
{
    Untagged = 0,
    Simple = 1,
    Ordered = 2,
    HeadOfQueue = 3,
    Aca = 4,
}
