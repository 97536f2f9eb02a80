using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Real catalogues through the running API: files shaped like a UK dealer dataset, a German marketplace export, a
/// German-header and a French file go in with nothing valid lost and the mileage unit decided right; a re-import
/// updates in place and keeps the price history; a sync marks the cars missing from the feed sold.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ImportTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static TheoryData<string> Shapes => ["uk", "de-marketplace", "de-headers", "fr"];

    private static CatalogueFixture Fixture(string shape) => shape switch
    {
        "uk" => CatalogueFixtures.UkDealer(),
        "de-marketplace" => CatalogueFixtures.GermanMarketplace(),
        "de-headers" => CatalogueFixtures.GermanHeaders(),
        _ => CatalogueFixtures.French(),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_real_catalogue_shape_goes_in_without_losing_valid_rows_and_with_its_mileage_unit_decided_right(string shape)
    {
        var file = Fixture(shape);
        var source = $"test-{shape}-{Guid.NewGuid():N}"[..40];
        var report = await ImportAsync(file.Csv, source);

        var imported = report.GetProperty("imported").GetInt64();
        Assert.True(imported >= 0.99 * file.Valid, $"{file.Name}: {imported:N0} of {file.Valid:N0} valid rows imported\n{report}");
        Assert.Equal(file.Rows, report.GetProperty("rowsRead").GetInt64());
        Assert.Equal(file.Unit, report.GetProperty("mileageUnit").GetString());
        var decisions = report.GetProperty("decisions").EnumerateArray().Select(d => d.GetString()!).ToList();
        var body = Assert.Single(decisions, d => d.StartsWith("body:", StringComparison.Ordinal));
        if (!file.HasBodyColumn) Assert.DoesNotContain(" 0 inferred from the make/model reference", body, StringComparison.Ordinal);

        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var median = await Db.ScalarAsync<double>(cs,
            "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY mileage_km)::float8 FROM listings WHERE source = $1", source);
        Assert.True(Math.Abs(median - file.TrueKmMedian) <= 0.05 * file.TrueKmMedian,
            $"{file.Name}: median mileage {median:N0} km, true {file.TrueKmMedian:N0} km ({report.GetProperty("mileageUnitReason").GetString()})");
        var unknownBodies = await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE source = $1 AND body_type = 'Unknown'", source);
        Assert.True(unknownBodies <= 0.02 * imported, $"{file.Name}: {unknownBodies} of {imported} bodies unknown");
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE source = $1 AND content_vector IS NULL", source));
        Report.Line($"[import {shape}] {file.Name}: {imported:N0} of {file.Valid:N0} valid rows in ({file.Rows:N0} read, {report.GetProperty("rejected").GetInt64()} rejected), "
            + $"mileage in {file.Unit}, median {median:N0} km vs true {file.TrueKmMedian:N0}; {body}");
    }

    [Fact]
    public async Task A_re_import_updates_prices_in_place_with_their_history_and_a_sync_marks_the_missing_cars_sold()
    {
        var source = $"test-sync-{Guid.NewGuid():N}"[..30];
        var file = CatalogueFixtures.GermanMarketplace(rows: 600, seed: 9);
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        // the worker trains at start-up: the seeded Golfs have item factors before the import
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
            "SELECT count(*) FROM listing_factors f JOIN listings l ON l.id = f.listing_id WHERE l.car_model = 'Volkswagen Golf'") > 0, TimeSpan.FromMinutes(3)),
            "the serving model should have factors for the seeded Golfs");
        var first = await ImportAsync(file.Csv, source);
        var inserted = first.GetProperty("inserted").GetInt64();
        Assert.Equal(file.Valid, inserted);

        // new listings enter the collaborative candidates without a retrain: a new Golf's factors are the seeded Golfs' mean
        Assert.True(await Db.ScalarAsync<double>(cs, """
            SELECT min(1 - (f.factors <=> m.factors)) FROM listing_factors f JOIN listings l ON l.id = f.listing_id,
                   (SELECT avg(f2.factors) AS factors FROM listing_factors f2 JOIN listings o ON o.id = f2.listing_id
                    WHERE o.car_model = 'Volkswagen Golf' AND o.source <> $1) m
            WHERE l.source = $1 AND l.car_model = 'Volkswagen Golf'
            """, source) > 0.999, "a new Golf's latent vector should be its car model's mean");
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, """
            SELECT count(*) FROM listings l WHERE l.source = $1 AND NOT EXISTS (SELECT 1 FROM listing_factors f WHERE f.listing_id = l.id)
              AND EXISTS (SELECT 1 FROM listings o JOIN listing_factors f ON f.listing_id = o.id WHERE o.car_model = l.car_model AND o.source <> $1)
            """, source));

        // the export says nothing about where the cars stand: their location is unknown, never a made-up city; a radius
        // search leaves them out, a distance sort puts them after every car with a position
        using (var shopper = fixture.Api(fixture.ShopperTokens[0].Token))
        {
            var car = await Db.ScalarAsync<long>(cs, "SELECT id FROM listings WHERE source = $1 ORDER BY id LIMIT 1", source);
            var placeless = await shopper.GetFromJsonAsync<JsonElement>($"/api/listings/{car}", Json);
            Assert.Equal((JsonValueKind.Null, JsonValueKind.Null, JsonValueKind.Null),
                (placeless.GetProperty("city").ValueKind, placeless.GetProperty("latitude").ValueKind, placeless.GetProperty("longitude").ValueKind));
            var same = $"make={Uri.EscapeDataString(placeless.GetProperty("make").GetString()!)}&model={Uri.EscapeDataString(placeless.GetProperty("model").GetString()!)}";
            async Task<List<JsonElement>> SearchAsync(string query) =>
                [.. (await shopper.GetFromJsonAsync<JsonElement>($"/api/listings?{same}&pageSize=100&{query}", Json)).GetProperty("items").EnumerateArray()];
            var mileage = placeless.GetProperty("mileageKm").GetInt32();
            Assert.Contains(await SearchAsync($"minMileage={mileage}&maxMileage={mileage}"), i => i.GetProperty("id").GetInt64() == car);
            Assert.DoesNotContain(await SearchAsync($"minMileage={mileage}&maxMileage={mileage}&lat=52.52&lon=13.405&radiusKm=2000"),
                i => i.GetProperty("id").GetInt64() == car);
            var byDistance = await SearchAsync($"minMileage={Math.Max(0, mileage - 20_000)}&maxMileage={mileage + 20_000}&lat=52.52&lon=13.405&sort=distance");
            var located = byDistance.TakeWhile(i => i.GetProperty("distanceKm").ValueKind == JsonValueKind.Number).Count();
            Assert.All(byDistance.Skip(located), i => Assert.Equal(JsonValueKind.Null, i.GetProperty("distanceKm").ValueKind));
            Assert.Contains(byDistance.Skip(located), i => i.GetProperty("id").GetInt64() == car);
        }

        // the feed an hour later: 30 cars 1,000 cheaper, 25 sold (gone from the file), the rest as they were
        var lines = file.Csv.TrimEnd('\n').Split('\n');
        var header = lines[0];
        var rows = lines.Skip(1).Where(l => !l.Split(',')[2].Equals("", StringComparison.Ordinal)).ToList();
        var dropped = rows.Take(30).Select(Cheaper).ToList();
        var gone = rows.Skip(30).Take(25).ToList();
        var kept = rows.Skip(55).ToList();
        var second = await ImportAsync(string.Join('\n', [header, .. dropped, .. kept]) + "\n", source, sync: true);
        Assert.Equal(0, second.GetProperty("inserted").GetInt64());
        Assert.Equal(30, second.GetProperty("updated").GetInt64());
        Assert.Equal(kept.Count, second.GetProperty("unchanged").GetInt64());
        Assert.Equal(25, second.GetProperty("markedSold").GetInt64());
        Assert.Equal(inserted, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE source = $1", source));
        Assert.Equal(25L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE source = $1 AND status = 'Sold'", source));
        Assert.Equal(30L, await Db.ScalarAsync<long>(cs, """
            SELECT count(*) FROM price_history p JOIN listings l ON l.id = p.listing_id
            WHERE l.source = $1 AND p.previous_price = p.price + 1000 AND l.price = p.price
            """, source));

        using var admin = fixture.Api(fixture.AdminToken);
        var cheaper = await Db.ScalarAsync<long>(cs, "SELECT l.id FROM price_history p JOIN listings l ON l.id = p.listing_id WHERE l.source = $1 AND p.previous_price IS NOT NULL LIMIT 1", source);
        var history = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/listings/{cheaper}/price-history", Json);
        Assert.Equal(2, history.GetArrayLength());
        Assert.Equal(history[0].GetProperty("price").GetInt32() - 1000, history[1].GetProperty("price").GetInt32());

        // the sold cars are sold to every reader: details, search and every similar list
        var sold = await Db.ScalarAsync<long[]>(cs, "SELECT array_agg(id) FROM listings WHERE source = $1 AND status = 'Sold'", source);
        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/listings/{sold[0]}", Json);
        Assert.Equal("Sold", detail.GetProperty("status").GetString());
        var neighbour = await Db.ScalarAsync<long>(cs, "SELECT id FROM listings WHERE source = $1 AND status = 'Active' LIMIT 1", source);
        var similar = await admin.GetFromJsonAsync<JsonElement>($"/api/listings/{neighbour}/similar?limit=50", Json);
        Assert.DoesNotContain(similar.EnumerateArray().Select(s => s.GetProperty("listing").GetProperty("id").GetInt64()), sold.Contains);

        // both runs are recorded; the first one's rejected rows download as CSV with their reasons
        var imports = await admin.GetFromJsonAsync<JsonElement>("/api/admin/imports", Json);
        var runs = imports.EnumerateArray().Where(i => i.GetProperty("source").GetString() == source).ToList();
        Assert.Equal(2, runs.Count);
        var firstId = first.GetProperty("importId").GetInt64();
        var csv = await admin.GetStringAsync($"/api/admin/imports/{firstId}/rejections.csv");
        var rejectedLines = csv.TrimEnd().Split('\n').Skip(1).ToList();
        Assert.Equal(file.Rows - file.Valid, rejectedLines.Count);
        Assert.All(rejectedLines, l => Assert.Contains("model is missing", l, StringComparison.Ordinal));
        Report.Line($"[import sync] {inserted} cars imported; re-import with 30 cheaper and 25 gone, --sync: 30 updated in place (price history kept), "
            + $"{kept.Count} unchanged, 25 marked sold and absent from similar lists; {rejectedLines.Count} rejected rows downloadable");

        static string Cheaper(string row)
        {
            var f = row.Split(',');
            f[6] = (int.Parse(f[6], CultureInfo.InvariantCulture) - 1000).ToString(CultureInfo.InvariantCulture);
            return string.Join(',', f);
        }
    }

    [Fact]
    public async Task A_price_drop_by_import_brings_a_car_the_user_viewed_back_to_the_top_of_their_list_with_the_reason()
    {
        var source = $"test-drop-{Guid.NewGuid():N}"[..30];
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        const string header = "id,make,model,year,price,mileage_km,fuel,gearbox,body\n";
        static string Row(string id, int price) => string.Create(CultureInfo.InvariantCulture, $"{id},Volkswagen,Golf,2019,{price},45000,Petrol,Manual,Hatchback\n");
        await ImportAsync(header + Row("golf-1", 21_000) + Row("golf-2", 22_500), source);
        var golf = await Db.ScalarAsync<long>(cs, "SELECT id FROM listings WHERE source = $1 AND external_id = 'golf-1'", source);

        // a shopper views it; the list recomputed after that view does not lead with it (a car they have seen)
        var (userId, token) = fixture.ShopperTokens[17];
        using var api = fixture.Api(token);
        var eventId = Guid.NewGuid();
        using (var posted = await api.PostAsJsonAsync("/api/events", new[] { new { eventId, listingId = golf, type = "view" } }))
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
            "SELECT count(*) FROM processed_events WHERE event_id = $1", eventId) == 3 && await Db.ScalarAsync<bool>(cs,
            "SELECT coalesce((SELECT r.vectors_as_of = u.vectors_updated_at FROM recommendations r JOIN users u ON u.id = r.user_id WHERE r.user_id = $1), false)",
            userId), TimeSpan.FromSeconds(60)), "the view should be applied and the list recomputed after it");
        var before = await api.GetFromJsonAsync<JsonElement>("/api/users/me/recommendations?limit=50", Json);
        Assert.DoesNotContain(before.GetProperty("items").EnumerateArray(), i => i.GetProperty("reason").GetString()!.StartsWith("Price dropped", StringComparison.Ordinal));

        // the feed drops its price by 1,200: the change goes over the bus, and the car leads the list with the reason
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await ImportAsync(header + Row("golf-1", 19_800) + Row("golf-2", 22_500), source);
        JsonElement first = default;
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            var list = await api.GetFromJsonAsync<JsonElement>("/api/users/me/recommendations?limit=50", Json);
            var items = list.GetProperty("items");
            if (items.GetArrayLength() == 0) return false;
            first = items[0];
            return first.GetProperty("listing").GetProperty("id").GetInt64() == golf;
        }, TimeSpan.FromSeconds(60)), $"the cheaper Golf should lead the list: {first}");
        Assert.Equal("Price dropped by €1,200 on the 2019 Golf you viewed", first.GetProperty("reason").GetString());
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listing_changes l JOIN listings x ON x.id = l.listing_id WHERE x.source = $1", source));
        Report.Line($"[price drop] a car a shopper viewed, 1,200 cheaper by re-import: first in their list {clock.Elapsed.TotalSeconds:N1} s after the import "
            + $"was sent, \"{first.GetProperty("reason").GetString()}\"");
    }

    private async Task<JsonElement> ImportAsync(string csv, string source, bool sync = false)
    {
        using var admin = fixture.Api(fixture.AdminToken);
        using var response = await admin.PostAsync($"/api/admin/listings/import?source={source}&sync={sync.ToString().ToLowerInvariant()}",
            new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonSerializer.Deserialize<JsonElement>(text, Json);
    }
}
