namespace CarRecommender.Cli.Commands;

/// <summary>
/// `dotnet run --project …` starts the program in the project's folder, so a relative path the user typed would be read
/// from there; the shell's working directory still arrives as PWD, and a relative path found there is taken from it.
/// </summary>
public static class CliPaths
{
    public static string Resolve(string path)
    {
        if (string.IsNullOrEmpty(path) || Path.IsPathRooted(path) || File.Exists(path)) return path;
        var callerDirectory = Environment.GetEnvironmentVariable("PWD");
        if (string.IsNullOrEmpty(callerDirectory)) return path;
        var fromCaller = Path.GetFullPath(Path.Combine(callerDirectory, path));
        return File.Exists(fromCaller) ? fromCaller : path;
    }
}
