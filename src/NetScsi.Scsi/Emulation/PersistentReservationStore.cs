using System.Globalization;
using System.Text.Json;
using NetScsi.Scsi.Storage;

namespace NetScsi.Scsi.Emulation;

/// <summary>
/// The persist-through-power-loss file of a logical unit's persistent reservations (SPC-4 §5.13.5, APTPL):
/// registrants (I_T nexus identity and key) and the reservation (holder, type, scope). A small versioned JSON
/// document, replaced atomically (temporary file, fsync, rename, fsync of the directory). PRgeneration is not
/// kept: SPC-4 §6.15.2 sets it to zero on power on.
/// </summary>
/// <remarks>
/// <code>
/// { "format": "netscsi-persistent-reservations", "version": 2,
///   "registrants": [ { "initiatorPort": "4500...", "initiatorDevice": "0500...", "relativeTargetPortId": 1, "key": "0x00000000000000aa" } ],
///   "reservation": { "type": 1, "scope": 0, "holder": 0 } }
/// </code>
/// A registrant is its I_T nexus: the initiator port and device TransportIDs (SPC-4 §7.6.4, in the canonical form
/// the transport gave them, hexadecimal) and the relative target port; so a restored registration matches the nexus
/// the transport creates when that initiator returns, whatever the transport. <c>reservation</c> is null without
/// one; <c>holder</c> is an index into <c>registrants</c>, null for an all-registrants type. Version 1 files named
/// registrants <c>{ "initiatorName", "initiatorPortName" }</c>; they are read through the transport's converter
/// (<see cref="ScsiLogicalUnitOptions.Version1Registrant"/>) and refused without one.
/// </remarks>
internal static class PersistentReservationStore
{
    public const string FormatName = "netscsi-persistent-reservations";
    public const int Version = 2;

    /// <summary>The version that named initiators by strings rather than TransportIDs.</summary>
    public const int NamedInitiatorsVersion = 1;

    /// <summary>Under the PR lock: writes the state to <paramref name="path"/>, replacing it atomically.</summary>
    public static void Save(string path, PersistentReservationState state)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    Write(writer, state);
                }
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        LinuxFileInterop.SyncDirectory(directory);
    }

    /// <summary>Removes the file (APTPL turned off); a missing file is fine.</summary>
    public static void Delete(string path)
    {
        string fullPath = Path.GetFullPath(path);
        File.Delete(fullPath);
        LinuxFileInterop.SyncDirectory(Path.GetDirectoryName(fullPath) ?? ".");
    }

    /// <summary>
    /// Loads <paramref name="path"/> into an empty <paramref name="state"/> if the file exists; returns whether it did.
    /// A file that cannot be read or understood throws <see cref="InvalidDataException"/> naming the path.
    /// </summary>
    public static bool TryLoad(string path, PersistentReservationState state, Func<string, string, ushort, ItNexus>? version1Registrant = null)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Corrupt(path, e.Message, e);
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            Read(document.RootElement, state, version1Registrant);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or OverflowException or ArgumentException)
        {
            state.Registrations.Clear();
            state.ClearReservation();
            throw Corrupt(path, e.Message, e);
        }
        state.PersistThroughPowerLoss = true;
        state.Active = state.Registrations.Count != 0;
        return true;
    }

    private static InvalidDataException Corrupt(string path, string reason, Exception inner) =>
        new($"The persistent reservation state file '{path}' cannot be loaded: {reason} " +
            "Fix or remove it (removing it drops the registrations and reservation kept through power loss).", inner);

    private static void Write(Utf8JsonWriter writer, PersistentReservationState state)
    {
        writer.WriteStartObject();
        writer.WriteString("format", FormatName);
        writer.WriteNumber("version", Version);
        writer.WriteStartArray("registrants");
        int holderIndex = -1;
        int index = 0;
        foreach (KeyValuePair<ItNexus, ulong> registration in state.Registrations)
        {
            writer.WriteStartObject();
            writer.WriteString("initiatorPort", Convert.ToHexString(registration.Key.InitiatorPort.Bytes));
            writer.WriteString("initiatorDevice", Convert.ToHexString(registration.Key.InitiatorDevice.Bytes));
            writer.WriteNumber("relativeTargetPortId", registration.Key.RelativeTargetPortId);
            writer.WriteString("key", "0x" + registration.Value.ToString("x16", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            if (state.Holder is not null && state.Holder.Equals(registration.Key))
            {
                holderIndex = index;
            }
            index++;
        }
        writer.WriteEndArray();
        if (state.HasReservation)
        {
            writer.WriteStartObject("reservation");
            writer.WriteNumber("type", (byte)state.Type);
            writer.WriteNumber("scope", 0); // LU_SCOPE
            if (state.IsAllRegistrants || holderIndex < 0)
            {
                writer.WriteNull("holder");
            }
            else
            {
                writer.WriteNumber("holder", holderIndex);
            }
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("reservation");
        }
        writer.WriteEndObject();
    }

    private static void Read(JsonElement root, PersistentReservationState state, Func<string, string, ushort, ItNexus>? version1Registrant)
    {
        if (root.ValueKind != JsonValueKind.Object || root.GetProperty("format").GetString() != FormatName)
        {
            throw new FormatException($"not a \"{FormatName}\" document.");
        }
        int version = root.GetProperty("version").GetInt32();
        bool named = version == NamedInitiatorsVersion && version1Registrant is not null;
        if (version != Version && !named)
        {
            throw new FormatException(version == NamedInitiatorsVersion
                ? $"version {version} names initiators without TransportIDs and no transport was given to read them."
                : $"unsupported version {version} (this build reads version {Version}).");
        }
        var registrants = new List<ItNexus>();
        foreach (JsonElement entry in root.GetProperty("registrants").EnumerateArray())
        {
            ushort relativeTargetPortId = entry.GetProperty("relativeTargetPortId").GetUInt16();
            string keyText = entry.GetProperty("key").GetString() ?? throw new FormatException("key is null.");
            if (!keyText.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                || !ulong.TryParse(keyText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong key)
                || key == 0)
            {
                throw new FormatException($"invalid reservation key \"{keyText}\".");
            }
            ItNexus nexus = named
                ? version1Registrant!(ReadString(entry, "initiatorName"), ReadString(entry, "initiatorPortName"), relativeTargetPortId)
                : new ItNexus(ReadTransportId(entry, "initiatorPort"), ReadTransportId(entry, "initiatorDevice"), relativeTargetPortId, transportIds: null);
            if (!state.Registrations.TryAdd(nexus, key))
            {
                throw new FormatException($"registrant {nexus} is listed twice.");
            }
            registrants.Add(nexus);
        }
        JsonElement reservation = root.GetProperty("reservation");
        if (reservation.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        var type = (PersistentReservationType)reservation.GetProperty("type").GetByte();
        if (type == PersistentReservationType.None || !Enum.IsDefined(type))
        {
            throw new FormatException($"invalid reservation type {(byte)type}.");
        }
        if (reservation.GetProperty("scope").GetInt32() != 0)
        {
            throw new FormatException("only LU_SCOPE (0) reservations are supported.");
        }
        if (registrants.Count == 0)
        {
            throw new FormatException("a reservation without registrants.");
        }
        state.Type = type;
        JsonElement holder = reservation.GetProperty("holder");
        if (state.IsAllRegistrants)
        {
            return;
        }
        int holderIndex = holder.GetInt32();
        if (holderIndex < 0 || holderIndex >= registrants.Count)
        {
            throw new FormatException($"reservation holder index {holderIndex} is not a registrant.");
        }
        state.Holder = registrants[holderIndex];
    }

    private static string ReadString(JsonElement entry, string name) =>
        entry.GetProperty(name).GetString() ?? throw new FormatException($"{name} is null.");

    private static TransportId ReadTransportId(JsonElement entry, string name)
    {
        string text = ReadString(entry, name);
        byte[] bytes = Convert.FromHexString(text);
        if (bytes.Length < TransportId.MinimumLength)
        {
            throw new FormatException($"{name} \"{text}\" is shorter than a TransportID ({TransportId.MinimumLength} bytes).");
        }
        return new TransportId(bytes);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The temporary file stays behind; the next save overwrites it.
        }
    }
}
