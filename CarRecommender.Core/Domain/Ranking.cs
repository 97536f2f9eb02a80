namespace CarRecommender.Core.Domain;

/// <summary>
/// One listing of a served list that the client reports the user saw (scrolled into view), at its 1-based position.
/// One per list and listing, however often the client reports it. Impressions feed click-through by position and the
/// learned ranker's position-bias weights, never the user's taste.
/// </summary>
public sealed class Impression
{
    public Guid ListId { get; set; }
    public long ListingId { get; set; }
    public int Position { get; set; }
    public long? UserId { get; set; }
    public Guid? SessionId { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>
/// A trained learned-ranker model (<see cref="Recommendation.Ranking.RankerModel"/>'s bytes), its feature importances
/// and its offline comparison with the blend (JSON), and whether it serves: the newest model that won its comparison.
/// </summary>
public sealed class RankerModelRecord
{
    public long Id { get; set; }
    public DateTimeOffset TrainedAt { get; set; }
    public byte[] Model { get; set; } = [];
    /// <summary>JSON: [{"feature": "deal-deviation", "importance": 0.4}, …], largest first.</summary>
    public required string Importances { get; set; }
    /// <summary>JSON of <see cref="Recommendation.Ranking.RankerComparisonResult"/>.</summary>
    public required string Comparison { get; set; }
    /// <summary>Served lists trained on.</summary>
    public int TrainingLists { get; set; }
    public bool Wins { get; set; }
    public bool Serving { get; set; }
}
