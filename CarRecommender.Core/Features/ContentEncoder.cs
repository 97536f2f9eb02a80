using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Features;

/// <summary>One dimension of the content vector, for documentation and for the admin console's bars.</summary>
public sealed record FeatureDimension(int Index, string Group, string Label);

/// <summary>
/// Turns a listing's real attributes into its content vector (version 1, <see cref="Dimensions"/> = 28).
/// Numeric features are scaled to [-1, 1] (so cheap and expensive point in opposite directions under cosine
/// similarity); categories are one-hot; location is a flat projection around central Europe. Each block carries a
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

    /// <summary>Encodes one listing. The make's segment comes from <see cref="CarCatalogue"/> (unknown makes: mainstream).</summary>
    public static float[] Encode(Listing l) =>
        Encode(l.Make, l.Year, l.Price, l.MileageKm, l.PowerKw, l.BodyType, l.Fuel, l.Transmission, l.SellerType, l.Latitude, l.Longitude);

    public static float[] Encode(string make, int year, int price, int mileageKm, int powerKw, BodyType body, FuelType fuel,
        Transmission transmission, SellerType seller, double latitude, double longitude)
    {
        var v = new float[Dimensions];
        v[0] = PriceWeight * Signed(Scale(Math.Log(Math.Max(price, 1)), Math.Log(1_000), Math.Log(150_000)));
        v[1] = YearWeight * Signed(Scale(year, 1995, 2026));
        v[2] = MileageWeight * Signed(Scale(Math.Sqrt(Math.Max(mileageKm, 0)), 0, Math.Sqrt(400_000)));
        v[3] = PowerWeight * Signed(Scale(powerKw, 0, 300));
        v[BodyOffset + (int)body] = BodyWeight;
        v[FuelOffset + (int)fuel] = FuelWeight;
        v[TransmissionOffset + (int)transmission] = TransmissionWeight;
        v[SellerOffset + (int)seller] = SellerWeight;
        v[SegmentOffset + (int)CarCatalogue.SegmentOf(make)] = SegmentWeight;
        v[LocationOffset] = LocationWeight * (float)Math.Clamp((longitude - 10) / 15, -1, 1);
        v[LocationOffset + 1] = LocationWeight * (float)Math.Clamp((latitude - 50) / 10, -1, 1);
        return v;
    }

    private static double Scale(double x, double min, double max) => Math.Clamp((x - min) / (max - min), 0, 1);
    private static float Signed(double unit) => (float)(2 * unit - 1);

    private static List<FeatureDimension> BuildLayout()
    {
        var dims = new List<FeatureDimension>
        {
            new(0, "numeric", "price"), new(1, "numeric", "year"), new(2, "numeric", "mileage"), new(3, "numeric", "power"),
        };
        dims.AddRange(Enum.GetValues<BodyType>().Select(b => new FeatureDimension(BodyOffset + (int)b, "body", b.ToString())));
        dims.AddRange(Enum.GetValues<FuelType>().Select(f => new FeatureDimension(FuelOffset + (int)f, "fuel", f.ToString())));
        dims.AddRange(Enum.GetValues<Transmission>().Select(t => new FeatureDimension(TransmissionOffset + (int)t, "transmission", t.ToString())));
        dims.AddRange(Enum.GetValues<SellerType>().Select(s => new FeatureDimension(SellerOffset + (int)s, "seller", s.ToString())));
        dims.AddRange(Enum.GetValues<MarketSegment>().Select(s => new FeatureDimension(SegmentOffset + (int)s, "segment", s.ToString())));
        dims.Add(new(LocationOffset, "location", "east"));
        dims.Add(new(LocationOffset + 1, "location", "north"));
        return dims;
    }
}
