using CarRecommender.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres (pgvector) and RabbitMQ: containers when a runtime answers or when publishing, local processes otherwise.
var (database, messaging) = builder.AddBackingServices();

// Signs the API's access tokens; generated once and kept in the AppHost's user secrets (a secret parameter when deployed).
var jwtKey = builder.AddGeneratedSecret("jwt-signing-key");

// The first operator (AdminBootstrap): created, or promoted, with this password when it has none. Run mode:
// admin@example.com / "carrecommender-admin" unless set in the AppHost's user secrets (Parameters:admin-email,
// Parameters:admin-password); publish mode (azd) asks for both. Further operators: the CLI's admin verb.
var adminEmail = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter("admin-email", "admin@example.com", publishValueAsDefault: false)
    : builder.AddParameter("admin-email");
var adminPassword = builder.ExecutionContext.IsRunMode
    ? builder.AddParameter("admin-password", "carrecommender-admin", publishValueAsDefault: false, secret: true)
    : builder.AddParameter("admin-password", secret: true);

var api = builder.AddProject<Projects.CarRecommender_Api>("api")
    .WithEnvironment("Auth__SigningKey", jwtKey)
    .WithEnvironment("Admin__Email", adminEmail)
    .WithEnvironment("Admin__Password", adminPassword)
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

// The console signs operators in through the API and does everything else through it, with their tokens: it holds no
// signing key, no database connection and no broker connection (retrain and evaluation run in the worker).
builder.AddProject<Projects.CarRecommender_Admin>("admin")
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
