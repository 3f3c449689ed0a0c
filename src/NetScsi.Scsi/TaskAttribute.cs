namespace NetScsi.Scsi;

/// <summary>SAM-5 task attributes, in the codes transport protocols carry them (e.g. the ATTR field of RFC 7143 §11.3.1).</summary>
public enum TaskAttribute : byte
{
    Untagged = 0,
    Simple = 1,
    Ordered = 2,
    HeadOfQueue = 3,
    Aca = 4,
}
