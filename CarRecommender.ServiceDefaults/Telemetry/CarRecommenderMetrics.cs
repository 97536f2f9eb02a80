using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace CarRecommender.Telemetry;

/// <summary>The instruments of the <c>CarRecommender</c> meter (shown on the Aspire dashboard) and its activity source.</summary>
public sealed class CarRecommenderMetrics
{
    public static readonly ActivitySource ActivitySource = new(ServiceDefaultsExtensions.TelemetryName);

    private long _outboxPending;

    public CarRecommenderMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(ServiceDefaultsExtensions.TelemetryName);
        EventsAccepted = meter.CreateCounter<long>("carrecommender.events.accepted", "{event}", "Activity events recorded by the API");
        EventsPublished = meter.CreateCounter<long>("carrecommender.events.published", "{event}", "Events confirmed by RabbitMQ");
        OutboxLag = meter.CreateHistogram<double>("carrecommender.outbox.lag", "s", "Time from recording an event to RabbitMQ's confirm");
        meter.CreateObservableGauge("carrecommender.outbox.pending", () => Volatile.Read(ref _outboxPending), "{event}",
            "Outbox rows seen waiting by the dispatcher's last pass");
        EventsProcessed = meter.CreateCounter<long>("carrecommender.events.processed", "{event}", "Events applied by a pipeline (tag: pipeline)");
        EventsDuplicate = meter.CreateCounter<long>("carrecommender.events.duplicate", "{event}", "Redelivered events a pipeline had already applied");
        EventsDeadLettered = meter.CreateCounter<long>("carrecommender.events.dead_lettered", "{event}", "Messages a pipeline dead-lettered (tag: pipeline, reason)");
        Freshness = meter.CreateHistogram<double>("carrecommender.event_to_vector.freshness", "s",
            "Time from the event being recorded to the user's vector reflecting it (tag: pipeline)");
        AlsDuration = meter.CreateHistogram<double>("carrecommender.als.duration", "s", "Wall time of an ALS retrain, load to swap");
        AlsLoss = meter.CreateHistogram<double>("carrecommender.als.loss", "1", "Training loss of the last ALS iteration");
        RecommendationFreshness = meter.CreateHistogram<double>("carrecommender.recommendations.freshness", "s",
            "Time from an event being recorded to the user's precomputed list being refreshed");
        RecommendationLatency = meter.CreateHistogram<double>("carrecommender.recommendations.duration", "ms",
            "Time to answer a recommendation request (tag: mode = precomputed | live)");
        RecommendationsServed = meter.CreateCounter<long>("carrecommender.recommendations.served", "{recommendation}",
            "Recommended listings returned to users (tag: mode): the impressions of click-through");
        RecommendationClicks = meter.CreateCounter<long>("carrecommender.recommendations.clicks", "{event}",
            "Events that carried a recommendationId (tag: type): click-through = clicks / served");
        Candidates = meter.CreateHistogram<long>("carrecommender.recommendations.candidates", "{listing}",
            "Candidates retrieval proposed for one live ranking");
        PriceModelDuration = meter.CreateHistogram<double>("carrecommender.price_model.duration", "s",
            "Wall time of one market's price model training, read to switch (tag: market)");
    }

    public Counter<long> EventsAccepted { get; }
    public Counter<long> EventsPublished { get; }
    public Histogram<double> OutboxLag { get; }
    public Counter<long> EventsProcessed { get; }
    public Counter<long> EventsDuplicate { get; }
    public Counter<long> EventsDeadLettered { get; }
    public Histogram<double> Freshness { get; }
    public Histogram<double> AlsDuration { get; }
    public Histogram<double> AlsLoss { get; }
    public Histogram<double> RecommendationFreshness { get; }
    public Histogram<double> RecommendationLatency { get; }
    public Counter<long> RecommendationsServed { get; }
    public Counter<long> RecommendationClicks { get; }
    public Histogram<long> Candidates { get; }
    public Histogram<double> PriceModelDuration { get; }

    /// <summary>Records a finished ALS retrain (whoever ran it: the schedule or the admin console).</summary>
    public void RecordModel(CarRecommender.Core.Domain.ModelVersion version)
    {
        AlsDuration.Record(version.DurationMs / 1000.0);
        AlsLoss.Record(version.Loss);
    }

    public void SetOutboxPending(long pending) => Volatile.Write(ref _outboxPending, pending);
}
