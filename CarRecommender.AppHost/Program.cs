using CarRecommender.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres (pgvector) and RabbitMQ: containers when a runtime answers or when publishing, local processes otherwise.
var (database, messaging) = builder.AddBackingServices();

var api = builder.AddProject<Projects.CarRecommender_Api>("api")
    .WithReference(database).WaitFor(database)
    .WithReference(messaging).WaitFor(messaging)
    .WithHttpHealthCheck("/health");

// The API owns the schema (it applies EF migrations at start-up), so the others wait for it.
builder.AddProject<Projects.CarRecommender_Pipelines>("pipelines")
    .WithReference(database).WaitFor(database)
    .WithReference(messaging).WaitFor(messaging)
    .WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.CarRecommender_Admin>("admin")
    .WithReference(database).WaitFor(database)
    .WithReference(messaging).WaitFor(messaging)
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
