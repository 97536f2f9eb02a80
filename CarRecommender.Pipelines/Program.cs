using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Pipelines.Collaborative;
using CarRecommender.Pipelines.Jobs;
using CarRecommender.Pipelines.Pricing;
using CarRecommender.Pipelines.Ranking;
using CarRecommender.Pipelines.Recommendations;
using CarRecommender.Pipelines.Worker;

// The pipeline worker; the command line (seed, import, train, evaluate, bench-…) is CarRecommender.Cli.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();

builder.Services.AddSingleton(builder.Configuration.GetSection("Als").Get<AlsSettings>() ?? new AlsSettings());
builder.Services.AddRecommendationEngine(builder.Configuration);
builder.Services.AddSingleton<RecommendationRefresher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<RecommendationRefresher>());
builder.Services.AddSingleton<ContentPipeline>();
builder.Services.AddSingleton<CollaborativePipeline>();
builder.Services.AddSingleton<PopularityPipeline>();
builder.Services.AddHostedService<PipelineConsumer<ContentPipeline>>();
builder.Services.AddHostedService<PipelineConsumer<CollaborativePipeline>>();
builder.Services.AddHostedService<PipelineConsumer<PopularityPipeline>>();
builder.Services.AddHostedService<DeadLetterArchiver>();
builder.Services.AddHostedService<ListingChangeConsumer>();
builder.Services.AddHostedService<AlsScheduler>();
builder.Services.AddSingleton(builder.Configuration.GetSection("Pricing").Get<PricingSettings>() ?? new PricingSettings());
builder.Services.AddSingleton<PriceModelTrainer>();
builder.Services.AddSingleton<ActivePriceModels>();
builder.Services.AddHostedService<PriceModelScheduler>();
builder.Services.AddSingleton(builder.Configuration.GetSection(RankerSettings.SectionName).Get<RankerSettings>() ?? new RankerSettings());
builder.Services.AddHostedService<RankerScheduler>();
builder.Services.AddSingleton<ModelJobs>();
builder.Services.AddHostedService<JobConsumer>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddHostedService<ProcessedEventsPruner>();

var app = builder.Build();

// The worker serves only its health endpoints over HTTP; its work arrives through RabbitMQ.
app.MapDefaultEndpoints();

await app.RunAsync();
