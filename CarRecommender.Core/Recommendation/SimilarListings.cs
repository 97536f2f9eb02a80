using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Recommendation;

/// <summary>What the similar list needs of a car: its identity and the attributes a reason compares.</summary>
public sealed record SimilarCar(long ListingId, string Make, string Model, int Price, BodyType BodyType, FuelType Fuel);

/// <summary>A candidate for a listing's similar list and its cosine similarity to that listing in content space (0 without a vector).</summary>
public readonly record struct SimilarCandidate(SimilarCar Car, double Cosine);

/// <summary>Which signal mainly put a car in the similar list.</summary>
public enum SimilarSource { Content, AlsoViewed }

/// <summary>One item of a similar list: its blended score, the signal behind it and the reason a person reads.</summary>
public sealed record SimilarPick(SimilarCar Car, double Cosine, double Score, SimilarSource Source, string Reason)
{
    /// <summary>The source's name on the wire: "content" or "also-viewed".</summary>
    public string SourceName => Source == SimilarSource.Content ? "content" : "also-viewed";
}

/// <summary>
/// "Because you viewed": a listing's similar list, blending content similarity with the car-model collaborative signal
/// (the car-model EASE's links: people who looked at this model also looked at those). The candidates are the content
/// neighbours and the hottest listings of the most related models; each scores
/// <c>w·cosine + (1 − w)·link</c>, where <c>link</c> is the EASE weight from the listing's model to the candidate's,
/// divided by the strongest such weight (so in [0, 1]; 0 for a model without a link). Without trained links the score
/// is the cosine alone. Pure: the SQL that finds the candidates is the API's.
/// </summary>
public static class SimilarListings
{
    /// <summary>The content weight <c>w</c> unless configured otherwise.</summary>
    public const double DefaultContentWeight = 0.6;

    /// <summary>How many of the listing's most related car models the also-viewed candidates come from.</summary>
    public const int RelatedModels = 5;

    /// <summary>Within this share of the listing's price, a reason calls a price similar.</summary>
    public const double SimilarPriceShare = 0.2;

    /// <summary>
    /// The best <paramref name="limit"/> of <paramref name="content"/> (the content neighbours) and
    /// <paramref name="alsoViewed"/> (the hottest listings of related models), best first (ties: lower listing id), the
    /// listing itself never. <paramref name="links"/> are the kept EASE links of the listing's car model.
    /// </summary>
    public static IReadOnlyList<SimilarPick> Blend(SimilarCar listing, IReadOnlyList<SimilarCandidate> content, IReadOnlyList<SimilarCandidate> alsoViewed,
        IReadOnlyList<CarModelLink> links, int limit, double contentWeight = DefaultContentWeight)
    {
        if (limit <= 0) return [];
        var strongest = links.Count == 0 ? 0 : links.Max(l => l.Weight);
        var w = strongest > 0 ? Math.Clamp(contentWeight, 0, 1) : 1;
        var strength = new Dictionary<string, double>(StringComparer.Ordinal);
        if (strongest > 0)
            foreach (var link in links.Where(l => l.Weight > 0))
                strength[link.Related] = Math.Max(strength.GetValueOrDefault(link.Related), link.Weight / strongest);

        var fromContent = content.Select(c => c.Car.ListingId).ToHashSet();
        return content.Concat(alsoViewed)
            .Where(c => c.Car.ListingId != listing.ListingId)
            .DistinctBy(c => c.Car.ListingId)
            .Select(c =>
            {
                var (similar, related) = (w * c.Cosine, (1 - w) * strength.GetValueOrDefault(CarModelEase.Key(c.Car.Make, c.Car.Model)));
                // the signal that mainly put it here: a car only the link found is also-viewed; a content neighbour is
                // also-viewed only when its model's link outweighs its likeness
                var source = !fromContent.Contains(c.Car.ListingId) || related > similar ? SimilarSource.AlsoViewed : SimilarSource.Content;
                return new SimilarPick(c.Car, c.Cosine, similar + related, source, Reason(listing, c.Car, source));
            })
            .OrderByDescending(p => p.Score).ThenBy(p => p.Car.ListingId)
            .Take(limit)
            .ToList();
    }

    /// <summary>
    /// "People who viewed the Volkswagen Golf also viewed the Skoda Octavia"; for a content neighbour, what it shares with
    /// the listing: "Similar price, body and fuel to this Golf" (a price within <see cref="SimilarPriceShare"/>, the same
    /// known body type, the same known fuel), or "Similar to this Golf" when none of them.
    /// </summary>
    public static string Reason(SimilarCar listing, SimilarCar car, SimilarSource source)
    {
        if (source == SimilarSource.AlsoViewed)
            return $"People who viewed the {listing.Make} {listing.Model} also viewed the {car.Make} {car.Model}";
        var shared = new List<string>(3);
        if (Math.Abs(car.Price - listing.Price) <= SimilarPriceShare * listing.Price) shared.Add("price");
        if (car.BodyType == listing.BodyType && car.BodyType != BodyType.Unknown) shared.Add("body");
        if (car.Fuel == listing.Fuel && car.Fuel != FuelType.Unknown) shared.Add("fuel");
        return shared.Count switch
        {
            0 => $"Similar to this {listing.Model}",
            1 => $"Similar {shared[0]} to this {listing.Model}",
            _ => $"Similar {string.Join(", ", shared.Take(shared.Count - 1))} and {shared[^1]} to this {listing.Model}",
        };
    }
}
