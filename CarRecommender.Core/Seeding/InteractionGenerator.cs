using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Seeding;

/// <summary>
/// A shopper's hidden taste: the body type they are after (and a second one they sometimes look at), the price band they
/// can afford, a few favourite makes, and possibly a fuel they insist on.
/// </summary>
public sealed record ShopperTaste(BodyType Body, BodyType SecondBody, int MinPrice, int MaxPrice, IReadOnlyList<string> FavouriteMakes, FuelType? Fuel)
{
    /// <summary>How well a listing fits, in (0, 1]: 1 for the right body, price, favourite make and fuel.</summary>
    public double Affinity(Listing listing)
    {
        var body = listing.BodyType == Body ? 1.0 : listing.BodyType == SecondBody ? 0.4 : 0.03;
        var centre = Math.Sqrt((double)MinPrice * MaxPrice);
        var price = listing.Price >= MinPrice && listing.Price <= MaxPrice
            ? 1.0
            : Math.Exp(-4 * Math.Abs(Math.Log(Math.Max(1, listing.Price) / centre)) + 4 * Math.Log((double)MaxPrice / centre));
        var make = FavouriteMakes.Contains(listing.Make) ? 1.0 : 0.3;
        var fuel = Fuel is null || listing.Fuel == Fuel ? 1.0 : 0.2;
        return body * Math.Min(1, price) * make * fuel;
    }
}

/// <summary>A simulated user: their id, hidden taste, how many listings they look at, and how often they stray from their taste.</summary>
public sealed record Shopper(long UserId, ShopperTaste Taste, int ListingsViewed, double Noise);

/// <summary>
/// Simulates shoppers browsing a catalogue, for seeding a demo database and for offline evaluation. Each shopper has a
/// hidden <see cref="ShopperTaste"/> anchored on a real listing (so every taste has cars to match); they view listings
/// drawn by taste × the listing's appeal (a long-tailed popularity: a few listings draw most views), with a share of
/// random browsing; a listing that fits is more likely to be viewed again, saved and contacted, one that does not is
/// sometimes dismissed. Event types come out mostly views, some saves, few contacts, some unsaves and dismisses.
/// Deterministic for a seed, the listings (in order, with their ids) and the shoppers' user ids.
/// Cost: a few random draws per event (rejection sampling), so a million listings and 100,000 shoppers take seconds.
/// </summary>
public sealed class InteractionGenerator(int seed, DateTimeOffset asOf)
{
    /// <summary>Events span this many days before the as-of time.</summary>
    public const int HistoryDays = 90;

    /// <summary>A shopper per user id, with a taste anchored on a listing picked by appeal.</summary>
    public IReadOnlyList<Shopper> Shoppers(IReadOnlyList<Listing> listings, IEnumerable<long> userIds, double meanListingsViewed = 20)
    {
        if (listings.Count == 0) throw new ArgumentException("no listings to shop for", nameof(listings));
        var rng = new Random(seed);
        var appeal = Appeal(listings);
        var cumulative = Cumulative(appeal);
        var makes = listings.Select(l => l.Make).Distinct().Order(StringComparer.Ordinal).ToArray();
        var shoppers = new List<Shopper>();
        foreach (var userId in userIds)
        {
            var anchor = listings[Sample(rng, cumulative)];
            var second = rng.NextDouble() < 0.5 ? anchor.BodyType : (BodyType)rng.Next((int)BodyType.Unknown);
            var width = 1.25 + rng.NextDouble() * 0.5;
            var favourites = new List<string> { anchor.Make };
            var more = rng.Next(1, 4);
            for (var n = 0; n < more; n++)
            {
                // another favourite: usually a make seen on another listing of the same body type, else any make
                var other = listings[Sample(rng, cumulative)];
                var make = other.BodyType == anchor.BodyType || rng.NextDouble() < 0.3 ? other.Make : makes[rng.Next(makes.Length)];
                if (!favourites.Contains(make)) favourites.Add(make);
            }
            var taste = new ShopperTaste(anchor.BodyType, second, (int)(anchor.Price / width), (int)(anchor.Price * width), favourites,
                rng.NextDouble() < 0.25 ? anchor.Fuel : null);
            // activity is long-tailed: most shoppers look at a handful of cars, a few at hundreds
            var viewed = (int)Math.Clamp(Math.Round(meanListingsViewed * Math.Exp(Normal(rng, -0.32, 0.8))), 2, 400);
            shoppers.Add(new Shopper(userId, taste, viewed, 0.05 + rng.NextDouble() * 0.2));
        }
        return shoppers;
    }

    /// <summary>
    /// Every shopper's events, shopper by shopper, each shopper's in time order. <paramref name="listings"/> must carry
    /// their ids (as loaded into the database, or numbered by the caller).
    /// </summary>
    public IEnumerable<Interaction> Events(IReadOnlyList<Listing> listings, IReadOnlyList<Shopper> shoppers)
    {
        var appeal = Appeal(listings);
        var globalCumulative = Cumulative(appeal);
        // per body type: its listings and their cumulative appeal, the proposal for rejection sampling below
        var byBody = Enumerable.Range(0, listings.Count).GroupBy(i => listings[i].BodyType).ToDictionary(g => g.Key, g =>
        {
            var members = g.ToArray();
            return (Members: members, Cumulative: Cumulative(members.Select(i => appeal[i]).ToArray()));
        });
        var rng = new Random(unchecked(seed * 17 + 3));
        var start = asOf.AddDays(-HistoryDays);
        foreach (var shopper in shoppers)
        {
            var taste = shopper.Taste;
            var bodies = new[] { taste.Body, taste.SecondBody }.Distinct().Where(byBody.ContainsKey).Select(b => byBody[b]).ToArray();
            var bodyWeights = Cumulative(bodies.Select(b => b.Cumulative[^1]).ToArray());
            var time = start.AddMinutes(rng.NextDouble() * HistoryDays * 24 * 60 * 0.7);
            var visited = new HashSet<int>();
            for (var attempt = 0; visited.Count < shopper.ListingsViewed && attempt < shopper.ListingsViewed * 4; attempt++)
            {
                var index = bodies.Length == 0 || rng.NextDouble() < shopper.Noise ? Sample(rng, globalCumulative) : SampleByTaste(rng, bodies, bodyWeights, listings, taste);
                if (!visited.Add(index)) continue;
                // sessions: mostly minutes apart, sometimes a day or more
                time = time.AddMinutes(rng.NextDouble() < 0.85 ? 1 + rng.NextDouble() * 15 : 600 + rng.NextDouble() * 3000);
                if (time > asOf) time = asOf;
                foreach (var e in Reactions(rng, shopper.UserId, listings[index], taste.Affinity(listings[index]), ref time))
                    yield return e;
            }
        }
    }

    /// <summary>
    /// A listing of the shopper's body types drawn with probability ∝ appeal × affinity²: rejection sampling from the
    /// appeal distribution (accept with probability affinity² ≤ 1), so the cost is a few draws per view, not a pass over
    /// the catalogue per shopper. After many rejections (a taste almost nothing fits) the best draw so far is taken.
    /// </summary>
    private static int SampleByTaste(Random rng, (int[] Members, double[] Cumulative)[] bodies, double[] bodyWeights, IReadOnlyList<Listing> listings,
        ShopperTaste taste)
    {
        var best = -1;
        var bestFit = -1.0;
        for (var draw = 0; draw < 5_000; draw++)
        {
            var body = bodies[Sample(rng, bodyWeights)];
            var index = body.Members[Sample(rng, body.Cumulative)];
            var fit = Math.Pow(taste.Affinity(listings[index]), 2);
            if (rng.NextDouble() < fit) return index;
            if (fit > bestFit) (best, bestFit) = (index, fit);
        }
        return best;
    }

    /// <summary>What one shopper does with one listing: views, maybe a save, a contact, an unsave or a dismiss.</summary>
    private List<Interaction> Reactions(Random rng, long userId, Listing listing, double affinity, ref DateTimeOffset time)
    {
        var events = new List<Interaction>();
        var t = time;
        void Add(InteractionType type)
        {
            t = t.AddSeconds(5 + rng.Next(300));
            if (t > asOf) t = asOf;
            events.Add(new Interaction
            {
                EventId = NewGuid(rng),
                UserId = userId,
                ListingId = listing.Id,
                Type = type,
                OccurredAt = t,
                RecordedAt = t,
            });
        }
        Add(InteractionType.View);
        if (rng.NextDouble() < 0.4 * affinity) Add(InteractionType.View); // came back to look again
        if (rng.NextDouble() < 0.3 * (1 - affinity)) Add(InteractionType.Dismiss);
        else if (rng.NextDouble() < 0.25 * affinity)
        {
            Add(InteractionType.Save);
            if (rng.NextDouble() < 0.3) Add(InteractionType.Contact);
            else if (rng.NextDouble() < 0.15) Add(InteractionType.Unsave);
        }
        else if (rng.NextDouble() < 0.02 * affinity) Add(InteractionType.Contact);
        time = t;
        return events;
    }

    /// <summary>Listing appeal: log-normal (photos, price for its age, …), so popularity is long-tailed.</summary>
    private double[] Appeal(IReadOnlyList<Listing> listings)
    {
        var rng = new Random(unchecked(seed * 7 + 1));
        return listings.Select(_ => Math.Exp(Normal(rng, 0, 1.0))).ToArray();
    }

    private static double[] Cumulative(IReadOnlyList<double> weights)
    {
        var c = new double[weights.Count];
        double sum = 0;
        for (var i = 0; i < c.Length; i++) c[i] = sum += weights[i];
        return c;
    }

    private static int Sample(Random rng, double[] cumulative)
    {
        var x = rng.NextDouble() * cumulative[^1];
        var i = Array.BinarySearch(cumulative, x);
        return Math.Min(cumulative.Length - 1, i < 0 ? ~i : i + 1);
    }

    private static Guid NewGuid(Random rng)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static double Normal(Random rng, double mean, double sd)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return mean + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
