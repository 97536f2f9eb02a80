using CarRecommender.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres (pgvector) and RabbitMQ: containers when a runtime answers or when publishing, local processes otherwise.
var (database, messaging) = builder.AddBackingServices();

// Signs the API's access tokens; generated once and kept in the AppHost's user secrets (a secret parameter when deployed).
var jwtKey = builder.AddGeneratedSecret("jwt-signing-key");

var api = builder.AddProject<Projects.CarRecommender_Api>("api")
    .WithEnvironment("Auth__SigningKey", jwtKey)
    .WithReference(database).WaitFor(database)
    .WithReference(messaging).WaitFor(messaging)
    .WithHttpHealthCheck("/health");

// The API owns the schema (it applies EF migrations at start-up), so the others wait for it.
builder.AddProject<Projects.CarRecommender_Pipelines>("pipelines")
    .WithReference(database).WaitFor(database)
    .WithReference(messaging).WaitFor(messaging)
    .WaitFor(api)
    .WithHttpHealthCheck("/health")
    .WithCatalogueCommands(database);

// The admin console's sign-in password. Run mode: "carrecommender-admin" unless set in the AppHost's user secrets
// (Parameters:admin-password); publish mode (azd) asks for it.
var adminPassword = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter("admin-password", "carrecommender-admin", publishValueAsDefault: false, secret: true)
    : builder.AddParameter("admin-password", secret: true);

builder.AddProject<Projects.CarRecommender_Admin>("admin")
    .WithEnvironment("Auth__SigningKey", jwtKey)
    .WithEnvironment("Admin__Password", adminPassword)
    .WithReference(database).WaitFor(database)
    .WithReference(messaging).WaitFor(messaging)
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
