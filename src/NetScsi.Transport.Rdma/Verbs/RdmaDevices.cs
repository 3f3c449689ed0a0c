using System.Runtime.InteropServices;

namespace NetScsi.Transport.Rdma.Verbs;

/// <summary>Finds the RDMA devices (ibv_get_device_list) and turns "none" into a clear error.</summary>
public static class RdmaDevices
{
    /// <summary>The names of the RDMA devices ("rxe0", "mlx5_0"); throws <see cref="RdmaUnavailableException"/> when none.</summary>
    public static IReadOnlyList<string> Require()
    {
        IReadOnlyList<string> names;
        try
        {
            // librdmacm is bound lazily on its first call: load it now, so a missing one fails here and not mid-connect.
            NativeLibrary.Free(NativeLibrary.Load(RdmaCmNative.Library));
            names = List();
        }
        catch (DllNotFoundException e)
        {
            throw new RdmaUnavailableException(Explain(librariesFound: false), e);
        }
        catch (EntryPointNotFoundException e)
        {
            throw new RdmaUnavailableException(Explain(librariesFound: false), e);
        }

        if (names.Count == 0)
        {
            throw new RdmaUnavailableException(Explain(librariesFound: true));
        }

        return names;
    }

    /// <summary>
    /// What is missing, in words: the libraries (rdma-core's libibverbs1, librdmacm1 and a provider) or a device.
    /// Null when RDMA is usable. Separate from the probe so the wording is tested on any machine.
    /// </summary>
    public static string? Describe(bool librariesFound, IReadOnlyList<string> deviceNames) =>
        librariesFound && deviceNames.Count > 0 ? null : Explain(librariesFound);

    private static string Explain(bool librariesFound)
    {
        return librariesFound
            ? "No RDMA device: ibv_get_device_list found none (is an RDMA NIC present and its driver loaded? For "
              + "soft-RoCE: modprobe rdma_rxe; rdma link add rxe0 type rxe netdev eth0). iSER needs one; use tcp: portals without."
            : $"RDMA libraries not found: {VerbsNative.Library} or {RdmaCmNative.Library} could not be loaded (install rdma-core's "
              + "libibverbs1, librdmacm1 and ibverbs-providers). iSER needs them; use tcp: portals without.";
    }

    private static unsafe List<string> List()
    {
        nint* list = VerbsNative.GetDeviceList(out int count);
        var names = new List<string>(Math.Max(0, count));
        if (list is null)
        {
            return names;
        }

        try
        {
            for (int i = 0; i < count; i++)
            {
                string? name = Marshal.PtrToStringUTF8(VerbsNative.GetDeviceName(list[i]));
                if (name is not null)
                {
                    names.Add(name);
                }
            }
        }
        finally
        {
            VerbsNative.FreeDeviceList(list);
        }

        return names;
    }
}
