using CarRecommender.Core.Domain;
using CarRecommender.Core.Import;
using CarRecommender.Core.Search;

namespace CarRecommender.Core.Tests;

public sealed class ListingQueryParserTests
{
    [Fact]
    public void Valid_query_becomes_a_filter()
    {
        Assert.True(ListingQueryParser.TryParse(new ListingQuery
        {
            MinPrice = "1000",
            MaxPrice = "2000",
            Fuel = "diesel, Petrol",
            Lat = "52.5",
            Lon = "13.4",
            RadiusKm = "25",
            Sort = "distance",
        }, out var f, out var errors), string.Join(";", errors.Keys));
        Assert.Equal(1000, f.MinPrice);
        Assert.Equal([FuelType.Diesel, FuelType.Petrol], f.Fuels);
        Assert.Equal(ListingSort.Distance, f.Sort);
        Assert.Equal(ListingStatus.Active, f.Status);
    }

    [Fact]
    public void Unknown_is_a_value_a_search_can_ask_for()
    {
        Assert.True(ListingQueryParser.TryParse(new ListingQuery { BodyType = "unknown", Fuel = "Unknown" }, out var f, out var errors), string.Join(";", errors.Keys));
        Assert.Equal([BodyType.Unknown], f.BodyTypes);
        Assert.Equal([FuelType.Unknown], f.Fuels);
    }

    [Theory]
    [InlineData("minPrice")]
    [InlineData("fuel")]
    [InlineData("pageSize")]
    public void Each_bad_field_is_named(string field)
    {
        var q = field switch
        {
            "minPrice" => new ListingQuery { MinPrice = "5", MaxPrice = "1" },
            "fuel" => new ListingQuery { Fuel = "2" },
            _ => new ListingQuery { PageSize = "101" },
        };
        Assert.False(ListingQueryParser.TryParse(q, out _, out var errors));
        Assert.Equal([field], errors.Keys);
    }

    [Theory]
    [InlineData("500", "20", true)]
    [InlineData("501", "20", false)]
    [InlineData("100", "100", true)]
    [InlineData("101", "100", false)]
    public void Paging_reaches_at_most_the_result_window(string page, string pageSize, bool ok)
    {
        Assert.Equal(ok, ListingQueryParser.TryParse(new ListingQuery { Page = page, PageSize = pageSize }, out _, out var errors));
        if (!ok) Assert.Contains("10,000", Assert.Single(errors["page"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_reader_converts_units_and_rejects_bad_rows_with_reasons()
    {
        var csv = "manufacturer,model,year,price,mileage_miles,fuel,transmission,body_type,hp\n" +
                  "Audi,A4,2018,\"21,500\",10000,Diesel,automatic,wagon,190\n" +
                  "Audi,A4,1850,21500,10000,Diesel,automatic,wagon,190\n";
        var reader = new ListingCsvReader(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var rows = reader.Read(new StringReader(csv)).ToList();
        var a4 = Assert.Single(rows);
        Assert.Equal(21_500, a4.Price);
        Assert.Equal(16_093, a4.MileageKm);
        Assert.Equal(BodyType.Estate, a4.BodyType);
        Assert.Equal(140, a4.PowerKw);
        Assert.NotNull(a4.ContentVector);
        var rejection = Assert.Single(reader.Rejections);
        Assert.Equal(3, rejection.Line);
        Assert.Contains("year", rejection.Reason, StringComparison.Ordinal);
    }
}
