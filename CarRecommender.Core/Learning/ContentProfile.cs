using System.Numerics.Tensors;
using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Learning;

/// <summary>
/// A user's content taste: the time-decayed, type-weighted mean of the content vectors of the listings they interacted
/// with. Kept as a running weighted sum and weight decayed to <see cref="AsOf"/>, so each event is an O(d) update and
/// events arriving out of order are decayed by their own age instead of the profile's.
/// </summary>
public sealed record ContentProfile(float[] Sum, double Weight, DateTimeOffset AsOf)
{
    /// <summary>Half-life of an interaction's influence.</summary>
    public static readonly TimeSpan HalfLife = TimeSpan.FromDays(30);

    /// <summary>
    /// How much each event type pulls the profile towards (positive) or away from (negative) the listing. Saving and
    /// contacting say far more than viewing; dismissing and unsaving push away.
    /// </summary>
    public static double WeightOf(InteractionType type) => Recommendation.EventCatalogue.Of(type).ContentWeight;

    public static ContentProfile Empty(int dimensions, DateTimeOffset asOf) => new(new float[dimensions], 0, asOf);

    /// <summary>The profile after one event on a listing with content vector <paramref name="listing"/>.</summary>
    public ContentProfile Apply(ReadOnlySpan<float> listing, InteractionType type, DateTimeOffset occurredAt)
    {
        if (listing.Length != Sum.Length) throw new ArgumentException($"expected {Sum.Length} dimensions, got {listing.Length}", nameof(listing));
        var w = WeightOf(type);
        var sum = (float[])Sum.Clone();
        double weight;
        DateTimeOffset asOf;
        if (occurredAt >= AsOf)
        {
            // decay what we had to the event's time, then add the event at full weight
            var decay = Decay(occurredAt - AsOf);
            TensorPrimitives.Multiply(sum, (float)decay, sum);
            weight = Weight * decay;
            asOf = occurredAt;
        }
        else
        {
            // a late event: decay it by its own age instead
            w *= Decay(AsOf - occurredAt);
            weight = Weight;
            asOf = AsOf;
        }
        TensorPrimitives.MultiplyAdd(listing, (float)w, sum, sum);
        // negative events move the sum but add no weight: the mean is of what the user liked, pushed away from dislikes
        weight += Math.Max(0, w);
        return new ContentProfile(sum, weight, asOf);
    }

    /// <summary>The preference vector (the weighted mean), or null while nothing positive has been seen.</summary>
    public float[]? Vector()
    {
        if (Weight <= 1e-9) return null;
        var v = new float[Sum.Length];
        TensorPrimitives.Divide(Sum, (float)Weight, v);
        return v;
    }

    public static double Decay(TimeSpan age) => Math.Pow(0.5, Math.Max(0, age.TotalSeconds) / HalfLife.TotalSeconds);
}
