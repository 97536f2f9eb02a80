using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// One served list as the learner sees it: its listings' feature rows (<see cref="RankingFeatures"/>, in list order),
/// what the user did with each (<see cref="RankingLabels"/>) and where each was shown (1-based).
/// </summary>
public sealed record RankingList(Guid Id, DateTimeOffset ServedAt, float[] Rows, int[] Labels, int[] Positions)
{
    public int Count => Labels.Length;
}

/// <summary>The graded labels: what a user's reaction to a listing of a served list is worth.</summary>
public static class RankingLabels
{
    public const int None = 0, Click = 1, Save = 2, Contact = 3;

    /// <summary>The label of the strongest of <paramref name="types"/> (a view is a click; share counts as a save).</summary>
    public static int Of(IEnumerable<Domain.InteractionType> types) => types.Select(t => t switch
    {
        Domain.InteractionType.Contact => Contact,
        Domain.InteractionType.Save or Domain.InteractionType.Share => Save,
        Domain.InteractionType.View => Click,
        _ => None,
    }).DefaultIfEmpty(None).Max();
}

/// <summary>LambdaRank's settings (LightGBM through ML.NET): small trees, since eleven features need few splits.</summary>
public sealed record RankerTrainingSettings
{
    public int Iterations { get; init; } = 100;
    public int Leaves { get; init; } = 15;
    public double LearningRate { get; init; } = 0.1;
    public int MinimumRowsPerLeaf { get; init; } = 20;
    public int Seed { get; init; } = 42;
    /// <summary>LightGBM's threads; null: one per core.</summary>
    public int? Threads { get; init; }
    /// <summary>The largest inverse-propensity weight a row gets (a rarely seen low position must not dominate).</summary>
    public double MaxWeight { get; init; } = 20;
}

/// <summary>
/// Trains LambdaRank (LightGBM's ranking objective through ML.NET) on served lists, each list a query, and flattens the
/// trees it grew into a <see cref="RankerModel"/>. Position bias: a listing the user reacted to at position k is
/// weighted by 1 / propensity(k) (<see cref="PositionPropensity"/>), so what a low position earned counts for more.
/// </summary>
public static class RankerTraining
{
    public static RankerModel Train(IReadOnlyList<RankingList> lists, RankerTrainingSettings settings, IReadOnlyList<double>? propensity = null) =>
        Fit(lists, settings, propensity).Model;

    /// <summary>The flattened model and ML.NET's own scorer of the same trees (to check the two agree).</summary>
    public static (RankerModel Model, Func<float[], float> MlNetScore) Fit(IReadOnlyList<RankingList> lists, RankerTrainingSettings settings,
        IReadOnlyList<double>? propensity = null)
    {
        var width = RankingFeatures.Count;
        var rows = new List<Row>();
        uint group = 0;
        foreach (var list in lists.Where(l => l.Count > 1 && l.Labels.Any(x => x > 0)))
        {
            group++;
            for (var i = 0; i < list.Count; i++)
            {
                var label = list.Labels[i];
                var weight = label > 0 && propensity is not null ? Math.Min(settings.MaxWeight, 1 / PositionPropensity.At(propensity, list.Positions[i])) : 1;
                rows.Add(new Row { Features = Sanitised(list.Rows.AsSpan(i * width, width)), Label = label, Group = group, Weight = (float)weight });
            }
        }
        if (group == 0) throw new ArgumentException("no served list with a reaction to learn from", nameof(lists));
        var ml = new MLContext(settings.Seed);
        var data = ml.Data.LoadFromEnumerable(rows, SchemaFor(width));
        var keyed = ml.Transforms.Conversion.MapValueToKey("GroupKey", nameof(Row.Group)).Fit(data).Transform(data);
        var trainer = ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
        {
            LabelColumnName = nameof(Row.Label),
            FeatureColumnName = nameof(Row.Features),
            RowGroupColumnName = "GroupKey",
            ExampleWeightColumnName = nameof(Row.Weight),
            NumberOfIterations = settings.Iterations,
            NumberOfLeaves = settings.Leaves,
            LearningRate = settings.LearningRate,
            MinimumExampleCountPerLeaf = settings.MinimumRowsPerLeaf,
            NumberOfThreads = settings.Threads,
            Seed = settings.Seed,
            Silent = true,
            Verbose = false,
        });
        var fitted = trainer.Fit(keyed);
        var model = Flatten(fitted.Model);
        var engine = ml.Model.CreatePredictionEngine<Row, Scored>(fitted, inputSchemaDefinition: SchemaFor(width));
        return (model, features => engine.Predict(new Row { Features = Sanitised(features) }).Score);
    }

    /// <summary>The trees of ML.NET's model parameters as arrays, each tree's weight folded into its leaves.</summary>
    private static RankerModel Flatten(LightGbmRankingModelParameters parameters)
    {
        var ensemble = parameters.TrainedTreeEnsemble;
        var (roots, feature, threshold, left, right, leaves) = (new List<int>(), new List<int>(), new List<float>(), new List<int>(), new List<int>(), new List<double>());
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            var weight = ensemble.TreeWeights[t];
            var (nodeBase, leafBase) = (feature.Count, leaves.Count);
            if (tree.CategoricalSplitFlags.Any(c => c)) throw new InvalidOperationException("the ranker's features are numeric: a categorical split is unexpected");
            int Child(int c) => c >= 0 ? nodeBase + c : ~(leafBase + ~c);
            for (var n = 0; n < tree.NumberOfNodes; n++)
            {
                feature.Add(tree.NumericalSplitFeatureIndexes[n]);
                threshold.Add(tree.NumericalSplitThresholds[n]);
                left.Add(Child(tree.LeftChild[n]));
                right.Add(Child(tree.RightChild[n]));
            }
            leaves.AddRange(tree.LeafValues.Select(v => v * weight));
            roots.Add(tree.NumberOfNodes > 0 ? nodeBase : ~leafBase);
        }
        VBuffer<float> gains = default;
        parameters.GetFeatureWeights(ref gains);
        var dense = new double[RankingFeatures.Count];
        foreach (var (index, value) in gains.Items()) if (index < dense.Length) dense[index] = Math.Max(0, value);
        var total = dense.Sum();
        var importances = dense.Select(g => total > 0 ? g / total : 0).ToArray();
        return new RankerModel(RankingFeatures.Names, [.. roots], [.. feature], [.. threshold], [.. left], [.. right], [.. leaves], ensemble.Bias, importances);
    }

    /// <summary>NaN (unknown) as <see cref="RankerModel.Missing"/>, the value the flattened model scores it as.</summary>
    private static float[] Sanitised(ReadOnlySpan<float> row)
    {
        var copy = row.ToArray();
        for (var i = 0; i < copy.Length; i++) if (float.IsNaN(copy[i])) copy[i] = RankerModel.Missing;
        return copy;
    }

    private static SchemaDefinition SchemaFor(int width)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
        return schema;
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
        public uint Group { get; set; }
        public float Weight { get; set; }
    }

    private sealed class Scored
    {
        public float Score { get; set; }
    }
}

/// <summary>
/// How likely a listing at each position is to be looked at, relative to position 1, from click-through by position:
/// CTR(k) / CTR(1), made non-increasing and floored. Click-through mixes how good the listings shown there were with
/// how visible the place is; with lists ranked by relevance this overstates the bias a little, which the weight cap
/// (<see cref="RankerTrainingSettings.MaxWeight"/>) bounds.
/// </summary>
public static class PositionPropensity
{
    public const double Floor = 0.05;

    /// <summary>Propensity per position (index 0 is position 1) from impressions and clicks per position.</summary>
    public static double[] FromClickThrough(IReadOnlyList<(int Position, long Impressions, long Clicks)> byPosition)
    {
        if (byPosition.Count == 0) return [];
        var max = byPosition.Max(p => p.Position);
        var ctr = new double[max];
        foreach (var (position, impressions, clicks) in byPosition)
            if (position >= 1 && impressions > 0)
                ctr[position - 1] = (double)clicks / impressions;
        var top = ctr[0];
        if (top <= 0) return [.. Enumerable.Repeat(1.0, max)];
        var result = new double[max];
        var previous = 1.0;
        for (var k = 0; k < max; k++)
        {
            previous = Math.Min(previous, Math.Max(Floor, ctr[k] / top));
            result[k] = previous;
        }
        return result;
    }

    /// <summary>The propensity at a 1-based position (past the known positions: the last one's).</summary>
    public static double At(IReadOnlyList<double> propensity, int position) =>
        propensity.Count == 0 ? 1 : propensity[Math.Clamp(position, 1, propensity.Count) - 1];
}
