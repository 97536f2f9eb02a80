using System.Globalization;
using System.Numerics.Tensors;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// The last stage: the reason a person reads, pointing at the history item the recommendation is closest to, in the
/// space that recommended it ("Similar to the 2019 Volkswagen Golf you saved").
/// </summary>
public static class Explanations
{
    public static string Reason(Candidate c, RecommendationSource source, UserTaste user, RankingOptions o)
    {
        var anchors = user.History.Where(h => h.IsAnchor).ToList();
        switch (source)
        {
            case RecommendationSource.PriceDrop when anchors.FirstOrDefault(a => a.ListingId == c.ListingId) is { PriceDrop: { } drop } item:
                return string.Create(CultureInfo.InvariantCulture,
                    $"Price dropped by €{drop:N0} on the {item.Year} {item.Model} you {Verb(item.Strongest)}");
            case RecommendationSource.Content when c.Content is { } v:
                var similar = anchors.Where(h => h.Content is not null).MaxBy(h => BlendRanker.Cosine(v, h.Content!));
                return similar is null ? "Matches the cars you have looked at"
                    : $"Similar to the {similar.Year} {similar.Make} {similar.Model} you {Verb(similar.Strongest)}";
            case RecommendationSource.Collaborative when c.Latent is { } f:
                var related = anchors.Where(h => h.Latent is not null).MaxBy(h => TensorPrimitives.Dot(f, h.Latent!));
                return related is null ? "Popular with shoppers like you"
                    : $"Popular with people who {Verb(related.Strongest)} the {related.Make} {related.Model} you {Verb(related.Strongest)}";
            case RecommendationSource.CarModel when user.CarModels.Of(c.Make, c.Model) is { } m:
                var anchor = anchors.Where(h => CarModelEase.Key(h.Make, h.Model) == m.Because)
                    .OrderByDescending(h => h.Strongest).FirstOrDefault();
                return anchor is null ? "Popular with shoppers who like the cars you looked at"
                    : $"People who {Verb(anchor.Strongest)} the {anchor.Make} {anchor.Model} also looked at the {c.Make} {c.Model}";
            default:
                return c.DistanceKm <= o.NearKm ? "Trending near you" : "Trending this week";
        }
    }

    /// <summary>
    /// "Great deal: €1,900 below similar cars" for a car the market price model rates a great or good deal; null for
    /// any other (or one without an estimate).
    /// </summary>
    public static string? Deal(Candidate c)
    {
        if (c is not { MarketEstimate: { } estimate, MarketDeviation: { } deviation }) return null;
        var rating = Pricing.DealRatings.Rate(deviation);
        if (rating is not (Pricing.DealRating.Great or Pricing.DealRating.Good)) return null;
        var reason = Pricing.DealRatings.Reason(estimate * (1 + deviation), estimate, c.Currency);
        return $"{(rating == Pricing.DealRating.Great ? "Great" : "Good")} deal: {reason}";
    }

    private static string Verb(InteractionType? type) =>
        (type is { } t ? EventCatalogue.Of(t).Verb : null) ?? EventCatalogue.Of(InteractionType.View).Verb!;
}
