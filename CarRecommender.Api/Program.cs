using CarRecommender.Api.Data;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();
builder.Services.AddProblemDetails();

var app = builder.Build();

// The API owns the schema: migrations run before it answers, and the other services wait for it to be healthy.
await app.MigrateDatabaseAsync();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.MapGet("/", () => TypedResults.Redirect("/health")).ExcludeFromDescription();

app.Run();
