using System.IO.Compression;
using System.Text.Json;
using CarRecommender.Core.Domain;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace CarRecommender.Core.Pricing;

/// <summary>
/// The market price of a car in one market (one currency): gradient-boosted regression trees (LightGBM through ML.NET)
/// on the log of the asking price, over one-hot make, make + model, fuel, gearbox, body and region and the raw year,
/// mileage, power and engine size. Estimates are exp(prediction), with the interval the cross-validated residuals give.
/// Saved as one zip (the ML.NET model and <see cref="PriceModelInfo"/>), so it can be stored and versioned as bytes.
/// </summary>
public sealed class MarketPriceModel
{
    private const string ModelEntry = "mlnet-model.zip";
    private const string InfoEntry = "price-model.json";
    private static readonly string[] Categories =
        [nameof(PriceRow.Make), nameof(PriceRow.CarModel), nameof(PriceRow.Fuel), nameof(PriceRow.Transmission), nameof(PriceRow.Body), nameof(PriceRow.Region)];
    private static readonly string[] Numbers = [nameof(PriceRow.Year), nameof(PriceRow.MileageKm), nameof(PriceRow.PowerKw), nameof(PriceRow.EngineLitres)];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly DataViewSchema _schema;

    private MarketPriceModel(MLContext ml, ITransformer model, DataViewSchema schema, PriceModelInfo info)
    {
        _ml = ml;
        _model = model;
        _schema = schema;
        Info = info;
    }

    public PriceModelInfo Info { get; }
    public string Market => Info.Market;

    /// <summary>Fits the model on <paramref name="rows"/>, all of one market; <paramref name="validation"/> is what cross-validation found.</summary>
    public static MarketPriceModel Train(IReadOnlyList<PriceRow> rows, PriceModelSettings settings, DateTimeOffset now, CrossValidation? validation = null)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to train on", nameof(rows));
        var market = rows[0].Currency;
        if (rows.Any(r => r.Currency != market)) throw new ArgumentException("the rows of one market share one currency", nameof(rows));
        var ml = new MLContext(settings.Seed);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = Fit(ml, data, settings);
        var info = new PriceModelInfo(market, now, rows.Count, settings, clock.Elapsed.TotalSeconds, validation);
        return new MarketPriceModel(ml, model, data.Schema, info);
    }

    /// <summary>The market prices of <paramref name="rows"/>, in one pass.</summary>
    public float[] Estimate(IEnumerable<PriceRow> rows) => Predict(_ml, _model, rows);

    /// <summary>The listing's market price, interval and deal rating. The listing must be priced in this model's market.</summary>
    public PriceEstimate Estimate(Listing listing) => Estimate(new PriceFeatures().Row(listing));

    public PriceEstimate Estimate(PriceRow row)
    {
        if (!row.Currency.Equals(Market, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"a {row.Currency} price cannot be rated by the {Market} market's model", nameof(row));
        var estimate = (double)Predict(_ml, _model, [row])[0];
        var deviation = DealRatings.Deviation(row.Price, estimate);
        var interval = PriceInterval.Of(Info);
        var (low, high) = (estimate * interval.Low, estimate * interval.High);
        return new PriceEstimate(Market, estimate, low, high, row.Price, deviation, DealRatings.Rate(deviation), DealRatings.Reason(row.Price, estimate, Market));
    }

    public void Save(Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var entry = zip.CreateEntry(InfoEntry).Open()) JsonSerializer.Serialize(entry, Info, Json);
        // the ML.NET model is a zip already: stored, not compressed again
        using (var entry = zip.CreateEntry(ModelEntry, CompressionLevel.NoCompression).Open()) _ml.Model.Save(_model, _schema, entry);
    }

    public byte[] Save()
    {
        using var bytes = new MemoryStream();
        Save(bytes);
        return bytes.ToArray();
    }

    public static MarketPriceModel Load(Stream stream)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        PriceModelInfo info;
        using (var entry = (zip.GetEntry(InfoEntry) ?? throw new InvalidDataException($"not a price model: no {InfoEntry}")).Open())
            info = JsonSerializer.Deserialize<PriceModelInfo>(entry, Json) ?? throw new InvalidDataException($"{InfoEntry} is empty");
        if (info.Format != PriceModelInfo.CurrentFormat)
            throw new InvalidDataException($"price model format {info.Format}, this version reads {PriceModelInfo.CurrentFormat}: retrain it");
        var ml = new MLContext(info.Settings.Seed);
        ml.ComponentCatalog.RegisterAssembly(typeof(LightGbmRegressionModelParameters).Assembly);
        // ML.NET seeks in the model it loads, which a zip entry's stream cannot
        using var model = new MemoryStream();
        using (var entry = (zip.GetEntry(ModelEntry) ?? throw new InvalidDataException($"not a price model: no {ModelEntry}")).Open()) entry.CopyTo(model);
        model.Position = 0;
        var transformer = ml.Model.Load(model, out var schema);
        return new MarketPriceModel(ml, transformer, schema, info);
    }

    public static MarketPriceModel Load(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Load(stream);
    }

    /// <summary>One fit of the pipeline (one-hot categories, the feature vector, LightGBM) on log prices.</summary>
    internal static ITransformer Fit(MLContext ml, IDataView data, PriceModelSettings settings)
    {
        var hot = Categories.Select(c => new InputOutputColumnPair(c + "Hot", c)).ToArray();
        var pipeline = ml.Transforms.Categorical.OneHotEncoding(hot)
            .Append(ml.Transforms.Concatenate("Features", [.. hot.Select(h => h.OutputColumnName), .. Numbers]))
            .Append(ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = nameof(PriceRow.Label),
                FeatureColumnName = "Features",
                NumberOfIterations = settings.Iterations,
                NumberOfLeaves = settings.Leaves,
                LearningRate = settings.LearningRate,
                MinimumExampleCountPerLeaf = settings.MinimumRowsPerLeaf,
                // LightGBM splits a one-hot block as one categorical feature (many values on each side), not value by value
                UseCategoricalSplit = true,
                HandleMissingValue = true,
                NumberOfThreads = settings.Threads,
                Seed = settings.Seed,
                Silent = true,
                Verbose = false,
            }));
        return pipeline.Fit(data);
    }

    /// <summary>exp of the model's log-price predictions, in the order of <paramref name="rows"/>.</summary>
    internal static float[] Predict(MLContext ml, ITransformer model, IEnumerable<PriceRow> rows)
    {
        var scores = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        for (var i = 0; i < scores.Length; i++) scores[i] = MathF.Exp(scores[i]);
        return scores;
    }
}
