using System.Runtime.CompilerServices;
using NetScsi.Transport.Rdma.Verbs;

namespace NetScsi.Transport.Rdma.Tests;

public sealed class VerbsBindingTests
{
    [Fact]
    public void Structs_HaveRdmaCore44Sizes()
    {
        // Measured with offsetof()/sizeof against <infiniband/verbs.h>, rdma-core 44, x86-64.
        Assert.Equal(16, Unsafe.SizeOf<IbvSge>());
        Assert.Equal(128, Unsafe.SizeOf<IbvSendWr>());
        Assert.Equal(32, Unsafe.SizeOf<IbvRecvWr>());
        Assert.Equal(48, Unsafe.SizeOf<IbvWc>());
        Assert.Equal(64, Unsafe.SizeOf<IbvQpInitAttr>());
        Assert.Equal(24, Unsafe.SizeOf<RdmaConnParam>());
    }

    [Fact]
    public void Describe_NamesWhatIsMissing()
    {
        Assert.Null(RdmaDevices.Describe(librariesFound: true, ["rxe0"]));
        Assert.Contains("No RDMA device", RdmaDevices.Describe(librariesFound: true, []));
        Assert.Contains("rdma_rxe", RdmaDevices.Describe(librariesFound: true, []));
        Assert.Contains("libibverbs.so.1", RdmaDevices.Describe(librariesFound: false, []));
    }

    [Fact]
    public void Require_OnThisMachine_ListsDevicesOrSaysWhyNot()
    {
        // Whether this machine has RDMA decides which answer is right; both are checked, neither is skipped.
        bool hasDevice = Directory.Exists("/sys/class/infiniband") && Directory.EnumerateFileSystemEntries("/sys/class/infiniband").Any();
        if (hasDevice)
        {
            Assert.NotEmpty(RdmaDevices.Require());
        }
        else
        {
            var error = Assert.Throws<RdmaUnavailableException>(() => RdmaDevices.Require());
            Assert.True(error.Message.StartsWith("No RDMA device", StringComparison.Ordinal)
                || error.Message.StartsWith("RDMA libraries not found", StringComparison.Ordinal), error.Message);
        }
    }
}
