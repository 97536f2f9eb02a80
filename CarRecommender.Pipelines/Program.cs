using CarRecommender.Pipelines.Cli;

// `dotnet run --project CarRecommender.Pipelines -- seed|import|bench-…`: a command-line verb; otherwise the worker.
if (CliHost.IsCommandLine(args))
    return await CliHost.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();

var app = builder.Build();

// The worker serves only its health endpoints over HTTP; its work arrives through RabbitMQ.
app.MapDefaultEndpoints();

await app.RunAsync();
return 0;
