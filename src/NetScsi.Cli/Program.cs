namespace NetScsi.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("netscsi: not yet wired");
        return 1;
    }
}
