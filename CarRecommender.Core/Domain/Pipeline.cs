namespace CarRecommender.Core.Domain;

/// <summary>An interaction waiting to be published to RabbitMQ; deleted once the broker has confirmed it.</summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    public long InteractionId { get; set; }
    /// <summary>W3C trace context of the request that recorded the interaction.</summary>
    public string? TraceParent { get; set; }
    public string? TraceState { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An event a pipeline has applied: written in the same transaction as its vector update (idempotency).</summary>
public sealed class ProcessedEvent
{
    public required string Pipeline { get; set; }
    public Guid EventId { get; set; }
    public DateTimeOffset ProcessedAt { get; set; }
}

/// <summary>
/// How often a pipeline began applying a redelivered event alone without settling it (<see cref="Events.DeliveryAttempts"/>):
/// what tells a message that stops the worker from a healthy one that was only in flight when the worker stopped.
/// </summary>
public sealed class DeliveryAttempt
{
    public required string Pipeline { get; set; }
    public Guid EventId { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset LastAttemptAt { get; set; }
}

/// <summary>
/// A dead-lettered message, archived by the worker from its pipeline's dead-letter queue (<see cref="Events.DeadLetterArchive"/>):
/// operators browse these rows as often as they like, and requeue or discard one without touching the others.
/// </summary>
public sealed class DeadLetterRecord
{
    public long Id { get; set; }
    public required string Pipeline { get; set; }
    /// <summary>The message id, or a hash of the body for a message without one: one row per pipeline and key.</summary>
    public required string MessageKey { get; set; }
    public string? MessageId { get; set; }
    public string Reason { get; set; } = "";
    public string? SourceQueue { get; set; }
    /// <summary>How often an operator sent it back to its pipeline before (the x-requeue-count header).</summary>
    public int Requeued { get; set; }
    /// <summary>How often it was archived (a message dead-lettered again without a requeue in between adds one).</summary>
    public int Occurrences { get; set; }
    public string? ContentType { get; set; }
    public string? Type { get; set; }
    /// <summary>The message's other headers (trace context and the like), as JSON text values, restored on a requeue.</summary>
    public string Headers { get; set; } = "{}";
    public byte[] Body { get; set; } = [];
    public DateTimeOffset FirstDeadLetteredAt { get; set; }
    public DateTimeOffset LastDeadLetteredAt { get; set; }
}

/// <summary>One ALS training run: its parameters, cost and result.</summary>
public sealed class ModelVersion
{
    public long Id { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public int Factors { get; set; }
    public int Iterations { get; set; }
    public double Regularization { get; set; }
    public double Alpha { get; set; }
    public int Users { get; set; }
    public int Items { get; set; }
    public long Interactions { get; set; }
    public long DurationMs { get; set; }
    public long TrainMs { get; set; }
    /// <summary>Training loss after each iteration (the last one is the model's).</summary>
    public double[] LossHistory { get; set; } = [];
    public double Loss { get; set; }
    /// <summary>YᵀY of the item factors (row-major k×k): what per-event fold-in needs besides the items themselves.</summary>
    public float[] ItemGram { get; set; } = [];
    /// <summary>Listings without interactions that got factors from their content (the cold-start mapping).</summary>
    public int ColdItems { get; set; }
    /// <summary>What started it: schedule, cli, dashboard, test.</summary>
    public string Trigger { get; set; } = "";
    /// <summary>How strengths became confidences (<c>Linear</c>, <c>Log</c>, <c>Binary</c>).</summary>
    public string Confidence { get; set; } = "Linear";
    /// <summary>ν of the frequency-scaled regularisation (0: uniform λ).</summary>
    public double RegularizationExponent { get; set; }
    /// <summary>Mean interactions per trained user (n̄ of the frequency-scaled λ, which the fold-in needs too).</summary>
    public double MeanUserPairs { get; set; }
    /// <summary>Validation NDCG@10 of the served setting on the self-tuning's slice (null without a search).</summary>
    public double? ValidationNdcg { get; set; }
    /// <summary>The self-tuning that chose the setting: slice, duration and every trial with its validation metrics (JSON).</summary>
    public string? Search { get; set; }
    /// <summary>
    /// When the training read its log: users with interactions recorded after it (less a margin) were folded into the
    /// model at the switch, and the scheduler's "events since the last model" counts from here.
    /// </summary>
    public DateTimeOffset? SnapshotAt { get; set; }
    /// <summary>Car models the car-model EASE was fitted over (0 when it was not).</summary>
    public int CarModels { get; set; }
    /// <summary>λ of the car-model EASE (chosen by the self-tuning when it ran).</summary>
    public double? CarModelLambda { get; set; }
    /// <summary>Validation NDCG@10 of the car-model EASE on the car-model log's newest share (null without a search).</summary>
    public double? CarModelValidationNdcg { get; set; }
}

/// <summary>
/// One kept weight of a model version's car-model EASE: interacting with <see cref="CarModel"/> speaks this much for
/// <see cref="Related"/> (each model's strongest positive links only). Serving reads the newest version's links.
/// </summary>
public sealed class CarModelLinkRow
{
    public long ModelVersionId { get; set; }
    public required string CarModel { get; set; }
    public required string Related { get; set; }
    public float Weight { get; set; }
}

/// <summary>
/// A user's precomputed unfiltered recommendations, written by the pipelines right after they update that user's
/// vectors and served by the API with one keyed read. The arrays run in parallel, best first.
/// </summary>
public sealed class RecommendationList
{
    public long UserId { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
    /// <summary>The user's vectors_updated_at the list was computed from: a list is stale when they differ.</summary>
    public DateTimeOffset? VectorsAsOf { get; set; }
    public long[] ListingIds { get; set; } = [];
    public float[] Scores { get; set; } = [];
    public string[] Sources { get; set; } = [];
    public string[] Reasons { get; set; } = [];
    /// <summary>Each pick's business-rule notes (boosts, seller cap, promotion), one line each, "" when none.</summary>
    public string[] Notes { get; set; } = [];
    /// <summary>
    /// The fingerprint of the engine settings the list was ranked with (<see cref="Recommendation.Rules.EngineSettings.Fingerprint"/>):
    /// a list is served only to a request under the same settings (configuration and experiment variant).
    /// </summary>
    public string Settings { get; set; } = "";
}
