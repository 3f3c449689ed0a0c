namespace NetScsi.Iscsi.Text;

/// <summary>One <c>key=value</c> pair of an iSCSI text data segment (RFC 7143 §6.1).</summary>
public readonly record struct TextKeyValue(string Key, string Value)
{
    public override string ToString() => Key + "=" + Value;
}
