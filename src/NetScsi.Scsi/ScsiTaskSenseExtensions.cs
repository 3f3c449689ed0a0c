namespace NetScsi.Scsi;

/// <summary>Completes a <see cref="ScsiTask"/> with CHECK CONDITION and sense data in the format the task asks for.</summary>
public static class ScsiTaskSenseExtensions
{
    /// <summary>CHECK CONDITION with the given sense key and ASC/ASCQ; no data-in is returned.</summary>
    public static void CheckCondition(this ScsiTask task, SenseKey key, byte asc, byte ascq) =>
        task.CheckCondition(key, (ushort)((asc << 8) | ascq), null, default);

    /// <summary>CHECK CONDITION with a packed <see cref="Asc"/> pair.</summary>
    public static void CheckCondition(this ScsiTask task, SenseKey key, ushort ascAndAscq) =>
        task.CheckCondition(key, ascAndAscq, null, default);

    /// <summary>CHECK CONDITION with INFORMATION and sense-key specific fields.</summary>
    public static void CheckCondition(this ScsiTask task, SenseKey key, ushort ascAndAscq, ulong? information, SenseKeySpecific keySpecific)
    {
        int length = SenseData.Write(task.SenseBuffer, task.DescriptorSenseFormat, key, Asc.Code(ascAndAscq), Asc.Qualifier(ascAndAscq), information, keySpecific);
        task.SetSenseLength(length);
        task.Status = ScsiStatus.CheckCondition;
        task.DataInLength = 0;
    }

    /// <summary>ILLEGAL REQUEST, INVALID FIELD IN CDB with a field pointer (SPC-4 §4.5.2.4.2).</summary>
    public static void InvalidFieldInCdb(this ScsiTask task, int byteOffset, int bitPointer = -1) =>
        task.CheckCondition(SenseKey.IllegalRequest, Asc.InvalidFieldInCdb, null,
            SenseKeySpecific.FieldPointer(inCdb: true, (ushort)byteOffset, bitPointer));

    /// <summary>ILLEGAL REQUEST, INVALID FIELD IN PARAMETER LIST with a field pointer into the parameter data.</summary>
    public static void InvalidFieldInParameterList(this ScsiTask task, int byteOffset, int bitPointer = -1) =>
        task.CheckCondition(SenseKey.IllegalRequest, Asc.InvalidFieldInParameterList, null,
            SenseKeySpecific.FieldPointer(inCdb: false, (ushort)byteOffset, bitPointer));

    /// <summary>ILLEGAL REQUEST, LOGICAL BLOCK ADDRESS OUT OF RANGE.</summary>
    public static void LbaOutOfRange(this ScsiTask task) =>
        task.CheckCondition(SenseKey.IllegalRequest, Asc.LbaOutOfRange);

    /// <summary>ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE, pointing at byte 0 of the CDB.</summary>
    public static void InvalidCommandOperationCode(this ScsiTask task) =>
        task.CheckCondition(SenseKey.IllegalRequest, Asc.InvalidCommandOperationCode, null,
            SenseKeySpecific.FieldPointer(inCdb: true, 0, 7));

    /// <summary>GOOD status, no sense.</summary>
    public static void Good(this ScsiTask task)
    {
        task.Status = ScsiStatus.Good;
        task.SetSenseLength(0);
    }
}
