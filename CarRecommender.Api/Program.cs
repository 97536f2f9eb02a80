using CarRecommender.Api.Admin;
using CarRecommender.Api.Auth;
using CarRecommender.Api.Data;
using CarRecommender.Api.Endpoints;
using CarRecommender.Api.Errors;
using CarRecommender.Api.Interactions;
using CarRecommender.Api.Outbox;
using CarRecommender.Api.Recommendations;
using CarRecommender.Api.Sessions;
using CarRecommender.Core.Data;
using CarRecommender.Core.Recommendation;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();
builder.AddCarRecommenderAuth();
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<BadRequestHandler>();
builder.Services.AddExceptionHandler<BackendUnavailableHandler>();
builder.Services.AddOpenApi();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.Configure<CarRecommender.Core.Import.CurrencyRates>(builder.Configuration.GetSection(CarRecommender.Core.Import.CurrencyRates.SectionName));
builder.Services.AddSingleton<OutboxSignal>();
builder.Services.AddSingleton<InteractionRecorder>();
builder.Services.AddSingleton<ImpressionRecorder>();
builder.Services.AddRecommendationEngine(builder.Configuration);
builder.Services.AddScoped<RecommendationService>();
builder.AddVisitorSessions();
builder.Services.AddSingleton<AdminQueries>();
builder.Services.AddSingleton<OverviewCache>();
builder.Services.AddSingleton<JobQueue>();
builder.Services.AddHostedService<OutboxDispatcher>();
builder.Services.AddHostedService<ListingChangeDispatcher>();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024); // 1 MiB; the CSV import raises its own limit

var app = builder.Build();

// The API owns the schema: migrations (and the demo catalogue on an empty database) come before it answers.
await app.MigrateDatabaseAsync();
await app.SeedDemoDataIfEmptyAsync();
await app.EnsureBootstrapAdminAsync();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapOpenApi("/api/openapi/{documentName}.json");
app.UseSwaggerUI(o =>
{
    o.RoutePrefix = "api/docs";
    o.SwaggerEndpoint("/api/openapi/v1.json", "CarRecommender API v1");
    o.DocumentTitle = "CarRecommender API";
});
app.MapDefaultEndpoints();
app.MapAuthEndpoints();
app.MapUserEndpoints();
app.MapListingEndpoints();
app.MapAdminEndpoints();
app.MapAdminConsoleEndpoints();
app.MapJobEndpoints();
app.MapRankerEndpoints();
app.MapExperimentEndpoints();
app.MapPromotionEndpoints();
app.MapEventEndpoints();
app.MapRecommendationEndpoints();
app.MapSessionEndpoints();
app.MapDeadLetterEndpoints();
app.MapGet("/", () => TypedResults.Redirect("/api/docs")).ExcludeFromDescription();

app.Run();
