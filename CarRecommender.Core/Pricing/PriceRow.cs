using Microsoft.ML.Data;

namespace CarRecommender.Core.Pricing;

/// <summary>
/// One car as the price model sees it (<see cref="PriceFeatures"/> makes it from a listing). ML.NET reads the public
/// properties by name: the six categories are one-hot encoded, the four numbers go in as they are, with NaN for
/// "not known" (LightGBM learns where a missing value goes), and <see cref="Label"/> is the log of the price.
/// </summary>
public sealed class PriceRow
{
    public string Make { get; set; } = "";
    /// <summary>"Make Model": the same model name under two makes is two cars.</summary>
    public string CarModel { get; set; } = "";
    public string Fuel { get; set; } = "";
    public string Transmission { get; set; } = "";
    public string Body { get; set; } = "";
    /// <summary>A postcode area, a city, or a 1° grid cell; empty when the listing says nothing of where it is.</summary>
    public string Region { get; set; } = "";
    public float Year { get; set; }
    public float MileageKm { get; set; }
    public float PowerKw { get; set; } = float.NaN;
    public float EngineLitres { get; set; } = float.NaN;
    /// <summary>ln(<see cref="Price"/>): the model learns relative differences, and an estimate is never negative.</summary>
    public float Label { get; set; }

    /// <summary>The asking price in <see cref="Currency"/>, the listing's market.</summary>
    [NoColumn]
    public float Price { get; set; }

    [NoColumn]
    public string Currency { get; set; } = "";
}
