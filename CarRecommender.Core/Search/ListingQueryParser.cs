using System.Globalization;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;

namespace CarRecommender.Core.Search;

/// <summary>The raw query-string values of a listing search, exactly as the client sent them.</summary>
public sealed record ListingQuery
{
    public string? Make { get; init; }
    public string? Model { get; init; }
    public string? Q { get; init; }
    public string? MinPrice { get; init; }
    public string? MaxPrice { get; init; }
    public string? MinYear { get; init; }
    public string? MaxYear { get; init; }
    public string? MinMileage { get; init; }
    public string? MaxMileage { get; init; }
    public string? MinPowerKw { get; init; }
    public string? MaxPowerKw { get; init; }
    public string? Fuel { get; init; }
    public string? Transmission { get; init; }
    public string? BodyType { get; init; }
    public string? SellerType { get; init; }
    public string? Status { get; init; }
    public string? Lat { get; init; }
    public string? Lon { get; init; }
    public string? RadiusKm { get; init; }
    public string? Deal { get; init; }
    public string? Sort { get; init; }
    public string? Page { get; init; }
    public string? PageSize { get; init; }
}

/// <summary>
/// Validates a <see cref="ListingQuery"/> into a <see cref="ListingFilter"/>, collecting one message per bad field
/// (named as in the query string) so the API can answer with a ProblemDetails that says what to fix.
/// </summary>
public static class ListingQueryParser
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;
    public const int MaxPage = 10_000;
    /// <summary>
    /// How deep paging may reach (page × pageSize), as search engines cap it (Elasticsearch's max_result_window): an
    /// offset makes the database read and drop every row before it, so a deep page costs as much as the whole result.
    /// </summary>
    public const int MaxResultWindow = 10_000;
    public const int MaxTextLength = 100;
    public const double MaxRadiusKm = 2_000;

    private static readonly Dictionary<string, ListingSort> Sorts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["newest"] = ListingSort.Newest,
        ["price"] = ListingSort.PriceAsc,
        ["-price"] = ListingSort.PriceDesc,
        ["year"] = ListingSort.YearDesc,
        ["-year"] = ListingSort.YearAsc,
        ["mileage"] = ListingSort.MileageAsc,
        ["distance"] = ListingSort.Distance,
    };

    public static bool TryParse(ListingQuery q, out ListingFilter filter, out Dictionary<string, string[]> errors)
    {
        var e = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var make = Text(q.Make, "make", e);
        var model = Text(q.Model, "model", e);
        var text = Text(q.Q, "q", e);
        var (minPrice, maxPrice) = Range(q.MinPrice, q.MaxPrice, "minPrice", "maxPrice", 0, 10_000_000, e);
        var (minYear, maxYear) = Range(q.MinYear, q.MaxYear, "minYear", "maxYear", 1900, 2100, e);
        var (minMileage, maxMileage) = Range(q.MinMileage, q.MaxMileage, "minMileage", "maxMileage", 0, 5_000_000, e);
        var (minPower, maxPower) = Range(q.MinPowerKw, q.MaxPowerKw, "minPowerKw", "maxPowerKw", 0, 2_000, e);
        var fuels = Enums<FuelType>(q.Fuel, "fuel", e);
        var transmissions = Enums<Transmission>(q.Transmission, "transmission", e);
        var bodies = Enums<BodyType>(q.BodyType, "bodyType", e);
        var sellers = Enums<SellerType>(q.SellerType, "sellerType", e);

        ListingStatus? status = ListingStatus.Active;
        if (!string.IsNullOrWhiteSpace(q.Status))
        {
            if (q.Status.Trim().Equals("any", StringComparison.OrdinalIgnoreCase)) status = null;
            else if (TryEnum<ListingStatus>(q.Status, out var s)) status = s;
            else e["status"] = [$"'{Clip(q.Status)}' is not a status: use active, sold or any."];
        }

        var lat = Number(q.Lat, "lat", -90, 90, e);
        var lon = Number(q.Lon, "lon", -180, 180, e);
        var radius = Number(q.RadiusKm, "radiusKm", 0.1, MaxRadiusKm, e);
        if ((lat is null) != (lon is null) && !e.ContainsKey("lat") && !e.ContainsKey("lon"))
            e[lat is null ? "lat" : "lon"] = ["lat and lon go together."];
        if (radius is not null && (lat is null || lon is null) && !e.ContainsKey("radiusKm"))
            e["radiusKm"] = ["radiusKm needs lat and lon."];

        var deal = Deal(q.Deal, e);

        var sort = ListingSort.Newest;
        if (!string.IsNullOrWhiteSpace(q.Sort) && !Sorts.TryGetValue(q.Sort.Trim(), out sort))
            e["sort"] = [$"'{Clip(q.Sort)}' is not a sort order: use {string.Join(", ", Sorts.Keys)}."];
        if (sort == ListingSort.Distance && (lat is null || lon is null) && !e.ContainsKey("sort"))
            e["sort"] = ["sort=distance needs lat and lon."];

        var page = (int?)Number(q.Page, "page", 1, MaxPage, e, integer: true) ?? 1;
        var pageSize = (int?)Number(q.PageSize, "pageSize", 1, MaxPageSize, e, integer: true) ?? DefaultPageSize;
        if (!e.ContainsKey("page") && (long)page * pageSize > MaxResultWindow)
            e["page"] = [$"Paging reaches at most the {MaxResultWindow.ToString("N0", CultureInfo.InvariantCulture)}th result (page × pageSize); page {page} of {pageSize} goes past it. Narrow the filters instead."];

        errors = e;
        filter = new ListingFilter
        {
            Make = make,
            Model = model,
            Terms = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            MinPrice = minPrice,
            MaxPrice = maxPrice,
            MinYear = minYear,
            MaxYear = maxYear,
            MinMileage = minMileage,
            MaxMileage = maxMileage,
            MinPowerKw = minPower,
            MaxPowerKw = maxPower,
            Fuels = fuels,
            Transmissions = transmissions,
            BodyTypes = bodies,
            SellerTypes = sellers,
            Status = status,
            Latitude = lat,
            Longitude = lon,
            RadiusKm = radius,
            Deal = deal,
            Sort = sort,
            Page = page,
            PageSize = pageSize,
        };
        return e.Count == 0;
    }

    /// <summary>The deal ratings <c>deal=</c> takes: each means that rating or better.</summary>
    public static readonly DealRating[] DealFilters = [DealRating.Great, DealRating.Good, DealRating.Fair];

    private static DealRating? Deal(string? raw, Dictionary<string, string[]> e)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (TryEnum<DealRating>(raw, out var rating) && DealFilters.Contains(rating)) return rating;
        e["deal"] = [$"'{Clip(raw)}' is not a deal filter: use {string.Join(", ", DealFilters.Select(DealRatings.Name))} (that rating or better)."];
        return null;
    }

    private static string? Text(string? value, string name, Dictionary<string, string[]> e)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var v = value.Trim();
        if (v.Length > MaxTextLength) e[name] = [$"{name} is longer than {MaxTextLength} characters."];
        else if (v.Any(char.IsControl)) e[name] = [$"{name} contains control characters."];
        return v;
    }

    private static (int? Min, int? Max) Range(string? min, string? max, string minName, string maxName, int lo, int hi,
        Dictionary<string, string[]> e)
    {
        var a = (int?)Number(min, minName, lo, hi, e, integer: true);
        var b = (int?)Number(max, maxName, lo, hi, e, integer: true);
        if (a is not null && b is not null && a > b) e[minName] = [$"{minName} ({a}) is greater than {maxName} ({b})."];
        return (a, b);
    }

    private static double? Number(string? raw, string name, double lo, double hi, Dictionary<string, string[]> e, bool integer = false)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var ok = integer
            ? long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? (double?)l : null
            : double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;
        if (ok is null)
        {
            e[name] = [$"'{Clip(raw)}' is not {(integer ? "a whole number" : "a number")}."];
            return null;
        }
        if (ok < lo || ok > hi)
        {
            e[name] = [$"{name} must be between {lo.ToString(CultureInfo.InvariantCulture)} and {hi.ToString(CultureInfo.InvariantCulture)}."];
            return null;
        }
        return ok;
    }

    private static T[] Enums<T>(string? raw, string name, Dictionary<string, string[]> e) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(raw)) return [];
        var result = new List<T>();
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TryEnum<T>(part, out var v)) result.Add(v);
            else
            {
                e[name] = [$"'{Clip(part)}' is not a {name}: use {string.Join(", ", Enum.GetNames<T>())} (comma-separated for several)."];
                return [];
            }
        }
        return [.. result.Distinct()];
    }

    /// <summary>Case-insensitive enum names only: numbers and flags combinations are not accepted.</summary>
    public static bool TryEnum<T>(string raw, out T value) where T : struct, Enum
    {
        value = default;
        var s = raw.Trim();
        return s.Length > 0 && char.IsLetter(s[0]) && !s.Contains(',', StringComparison.Ordinal)
               && Enum.TryParse(s, ignoreCase: true, out value) && Enum.IsDefined(value);
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
