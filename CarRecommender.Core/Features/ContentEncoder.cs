using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Features;

/// <summary>One dimension of the content vector, for documentation and for the admin console's bars.</summary>
public sealed record FeatureDimension(int Index, string Group, string Label);

/// <summary>
/// Turns a listing's real attributes into its content vector (version 1, <see cref="Dimensions"/> = 28).
/// Numeric features are scaled to [-1, 1] (so cheap and expensive point in opposite directions under cosine
/// similarity); categories are one-hot, and an unknown one (an import that did not say) leaves its block zero, as an
/// unknown power leaves its dimension at 0 (the middle of the range) and an unknown make its segment block, an unknown position its location block; location is a flat projection around central Europe. Each block carries a
/// weight that sets how much it counts in cosine similarity: body type and price count most, the seller type least.
/// </summary>
/// <remarks>
/// Layout: 0 price (log, €1k–€150k) · 1 year (1995–2026) · 2 mileage (√, 0–400,000 km) · 3 power (0–300 kW) ·
/// 4–11 body type · 12–17 fuel · 18–19 transmission · 20–21 seller type · 22–25 market segment of the make ·
/// 26–27 location (east–west, north–south). Changing any of this means a new <see cref="Version"/> and re-encoding.
/// </remarks>
public static class ContentEncoder
{
    public const short Version = 1;
    public const int Dimensions = 28;

    private const float PriceWeight = 1.5f, YearWeight = 1.0f, MileageWeight = 0.8f, PowerWeight = 0.8f;
    private const float BodyWeight = 1.4f, FuelWeight = 0.9f, TransmissionWeight = 0.5f, SellerWeight = 0.3f;
    private const float SegmentWeight = 0.8f, LocationWeight = 0.5f;

    private const int BodyOffset = 4, FuelOffset = 12, TransmissionOffset = 18, SellerOffset = 20, SegmentOffset = 22, LocationOffset = 26;

    public static readonly IReadOnlyList<FeatureDimension> Layout = BuildLayout();

    /// <summary>Encodes one listing. The make's segment comes from <see cref="CarReference"/>.</summary>
    public static float[] Encode(Listing l) =>
        Encode(l.Make, l.Year, l.Price, l.MileageKm, l.PowerKw, l.BodyType, l.Fuel, l.Transmission, l.SellerType, l.Latitude, l.Longitude);

    public static float[] Encode(string make, int year, int price, int mileageKm, int? powerKw, BodyType body, FuelType fuel,
        Transmission transmission, SellerType seller, double? latitude, double? longitude)
    {
        var v = new float[Dimensions];
        v[0] = EncodePrice(price);
        v[1] = EncodeYear(year);
        v[2] = EncodeMileage(mileageKm);
        if (powerKw is { } kw) v[3] = EncodePower(kw);
        if (body != BodyType.Unknown) v[BodyOffset + (int)body] = BodyWeight;
        if (fuel != FuelType.Unknown) v[FuelOffset + (int)fuel] = FuelWeight;
        if (transmission != Transmission.Unknown) v[TransmissionOffset + (int)transmission] = TransmissionWeight;
        if (seller != SellerType.Unknown) v[SellerOffset + (int)seller] = SellerWeight;
        if (CarReference.SegmentOfMake(make) is { } segment) v[SegmentOffset + (int)segment] = SegmentWeight;
        if (latitude is { } lat && longitude is { } lon)
        {
            v[LocationOffset] = LocationWeight * (float)Math.Clamp((lon - 10) / 15, -1, 1);
            v[LocationOffset + 1] = LocationWeight * (float)Math.Clamp((lat - 50) / 10, -1, 1);
        }
        return v;
    }

    /// <summary>
    /// The query vector for a filtered nearest-neighbour search: the taste moved into the region the filter allows.
    /// Categories the filter restricts keep the taste's share among the allowed values (evenly spread when it had none),
    /// with the block's total weight unchanged; numeric bounds clamp the taste's value into the range; a make sets its
    /// market segment. Without this, a filter the taste points away from (a saloon lover asking for SUVs) is an HNSW
    /// scan's worst case: every near neighbour is filtered out, and the iterative scan gives up after thousands of rows
    /// with nothing. Ranking still uses the real taste; only retrieval is steered.
    /// </summary>
    public static float[] Steer(float[] taste, Search.ListingFilter filter)
    {
        var v = (float[])taste.Clone();
        // a filter for Unknown steers nowhere in its block (unknown values have no dimension)
        Restrict(v, BodyOffset, (int)BodyType.Unknown, filter.BodyTypes.Where(b => b != BodyType.Unknown).Select(b => (int)b), BodyWeight);
        Restrict(v, FuelOffset, (int)FuelType.Unknown, filter.Fuels.Where(f => f != FuelType.Unknown).Select(f => (int)f), FuelWeight);
        Restrict(v, TransmissionOffset, (int)Transmission.Unknown, filter.Transmissions.Where(t => t != Transmission.Unknown).Select(t => (int)t), TransmissionWeight);
        Restrict(v, SellerOffset, (int)SellerType.Unknown, filter.SellerTypes.Where(s => s != SellerType.Unknown).Select(s => (int)s), SellerWeight);
        if (filter.Make is { } make && CarReference.SegmentOfMake(make) is { } segment)
            Restrict(v, SegmentOffset, Enum.GetValues<MarketSegment>().Length, [(int)segment], SegmentWeight);
        Clamp(v, 0, filter.MinPrice, filter.MaxPrice, EncodePrice);
        Clamp(v, 1, filter.MinYear, filter.MaxYear, EncodeYear);
        Clamp(v, 2, filter.MinMileage, filter.MaxMileage, EncodeMileage);
        Clamp(v, 3, filter.MinPowerKw, filter.MaxPowerKw, EncodePower);
        return v;

        static void Restrict(float[] v, int offset, int count, IEnumerable<int> allowedValues, float weight)
        {
            var allowed = allowedValues.Distinct().ToArray();
            if (allowed.Length == 0) return;
            var block = v[offset..(offset + count)];
            var total = block.Sum(x => Math.Max(x, 0));
            var kept = allowed.Sum(i => Math.Max(block[i], 0));
            // a taste with no weight in the block: the allowed values at the block's weight, as in a listing's vector
            var mass = total > 0 ? total : weight;
            Array.Clear(v, offset, count);
            foreach (var i in allowed) v[offset + i] = mass * (kept > 0 ? Math.Max(block[i], 0) / kept : 1f / allowed.Length);
        }

        static void Clamp(float[] v, int index, int? min, int? max, Func<int, float> encode)
        {
            if (min is { } lo) v[index] = Math.Max(v[index], encode(lo));
            if (max is { } hi) v[index] = Math.Min(v[index], encode(hi));
        }
    }

    // the numeric dimensions, shared by Encode and by Steer's bounds
    private static float EncodePrice(int price) => PriceWeight * Signed(Scale(Math.Log(Math.Max(price, 1)), Math.Log(1_000), Math.Log(150_000)));
    private static float EncodeYear(int year) => YearWeight * Signed(Scale(year, 1995, 2026));
    private static float EncodeMileage(int mileageKm) => MileageWeight * Signed(Scale(Math.Sqrt(Math.Max(mileageKm, 0)), 0, Math.Sqrt(400_000)));
    private static float EncodePower(int powerKw) => PowerWeight * Signed(Scale(powerKw, 0, 300));

    private static double Scale(double x, double min, double max) => Math.Clamp((x - min) / (max - min), 0, 1);
    private static float Signed(double unit) => (float)(2 * unit - 1);

    private static List<FeatureDimension> BuildLayout()
    {
        var dims = new List<FeatureDimension>
        {
            new(0, "numeric", "price"), new(1, "numeric", "year"), new(2, "numeric", "mileage"), new(3, "numeric", "power"),
        };
        dims.AddRange(Enum.GetValues<BodyType>().Where(b => b != BodyType.Unknown).Select(b => new FeatureDimension(BodyOffset + (int)b, "body", b.ToString())));
        dims.AddRange(Enum.GetValues<FuelType>().Where(f => f != FuelType.Unknown).Select(f => new FeatureDimension(FuelOffset + (int)f, "fuel", f.ToString())));
        dims.AddRange(Enum.GetValues<Transmission>().Where(t => t != Transmission.Unknown).Select(t => new FeatureDimension(TransmissionOffset + (int)t, "transmission", t.ToString())));
        dims.AddRange(Enum.GetValues<SellerType>().Where(s => s != SellerType.Unknown).Select(s => new FeatureDimension(SellerOffset + (int)s, "seller", s.ToString())));
        dims.AddRange(Enum.GetValues<MarketSegment>().Select(s => new FeatureDimension(SegmentOffset + (int)s, "segment", s.ToString())));
        dims.Add(new(LocationOffset, "location", "east"));
        dims.Add(new(LocationOffset + 1, "location", "north"));
        return dims;
    }
}
