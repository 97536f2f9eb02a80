using CarRecommender.Cli.Commands;

// `dotnet run --project CarRecommender.Cli -- seed|import|train|admin|evaluate|bench-…`: the operators' and
// benchmarks' command line, beside the services (it talks to the database or to the running API).
return await CliHost.RunAsync(args);
