using System.Diagnostics;

namespace NetScsi.Scsi.Metrics;

/// <summary>
/// What one logical unit of one target records per command. The tags are built once here, so recording allocates
/// nothing; with no listener subscribed a command costs one flag test.
/// </summary>
public sealed class LunMetrics
{
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly KeyValuePair<string, object?>[][] _errorTags;

    /// <param name="target">The target's name (for iSCSI its IQN).</param>
    /// <param name="lun">The LUN number.</param>
    public LunMetrics(string target, int lun)
    {
        ArgumentNullException.ThrowIfNull(target);
        string lunText = lun.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _tags = [new("target", target), new("lun", lunText)];
        _errorTags = new KeyValuePair<string, object?>[16][];
        for (int key = 0; key < _errorTags.Length; key++)
        {
            string name = Enum.IsDefined((SenseKey)key) ? ((SenseKey)key).ToString() : $"0x{key:X}";
            _errorTags[key] = [new("target", target), new("lun", lunText), new("sense_key", name)];
        }
    }

    /// <summary>Whether any listener records commands (when not, the caller need not even find its <see cref="LunMetrics"/>).</summary>
    public static bool Recording => ScsiMeter.Commands.Enabled || ScsiMeter.Duration.Enabled;

    /// <summary>A timestamp to pass to <see cref="Complete"/>; 0 when nobody measures durations.</summary>
    public static long Start() => ScsiMeter.Duration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a finished command: its count, bytes, duration since <paramref name="started"/>, and its error.</summary>
    public void Complete(ScsiTask task, long started)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (started != 0)
        {
            ScsiMeter.Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tags);
        }
        if (!ScsiMeter.Commands.Enabled)
        {
            return;
        }
        ScsiMeter.Commands.Add(1, _tags);
        switch (task.Status)
        {
            case ScsiStatus.Good:
                if (task.DataInLength > 0)
                {
                    ScsiMeter.ReadBytes.Add(task.DataInLength, _tags);
                }
                if ((task.Direction & DataDirection.Write) != 0 && task.ExpectedDataTransferLength > 0)
                {
                    ScsiMeter.WrittenBytes.Add(task.ExpectedDataTransferLength, _tags);
                }
                break;
            case ScsiStatus.CheckCondition:
                if (SenseData.TryParse(task.Sense, out SenseKey key, out _, out _))
                {
                    ScsiMeter.Errors.Add(1, _errorTags[(int)key & 0xF]);
                }
                break;
            case ScsiStatus.Busy:
            case ScsiStatus.TaskSetFull:
                ScsiMeter.Busy.Add(1, _tags);
                break;
        }
    }
}
