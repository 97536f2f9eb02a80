using System.IO.Compression;
using System.Text.Json;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// A trained ranking model flattened to arrays: every tree's split nodes one after another (feature, threshold, the
/// two children), the leaves likewise, and each tree's root. Scoring a candidate walks each tree from its root: a value
/// at or below the threshold goes left, else right; a child below zero is the leaf ~child. No ML.NET at serving time
/// and no allocation per candidate, so 200 candidates take a fraction of a millisecond. Unknown features (NaN) are
/// scored as <see cref="Missing"/>, below every known value, as they were in training.
/// </summary>
public sealed class RankerModel
{
    /// <summary>What a NaN feature is replaced with in training and in scoring: below every real value.</summary>
    public const float Missing = -1e30f;
    /// <summary>The layout of <see cref="Save"/>'s bytes.</summary>
    public const int CurrentFormat = 1;

    public RankerModel(IReadOnlyList<string> features, int[] roots, int[] splitFeature, float[] threshold, int[] left, int[] right,
        double[] leaves, double bias, IReadOnlyList<double> importances)
    {
        if (importances.Count != features.Count) throw new ArgumentException("one importance per feature", nameof(importances));
        Features = features;
        Roots = roots;
        SplitFeature = splitFeature;
        Threshold = threshold;
        Left = left;
        Right = right;
        Leaves = leaves;
        Bias = bias;
        Importances = importances;
    }

    public IReadOnlyList<string> Features { get; }
    /// <summary>Per tree, its root: a split node's index, or ~leaf for a tree that is one leaf.</summary>
    public int[] Roots { get; }
    public int[] SplitFeature { get; }
    public float[] Threshold { get; }
    public int[] Left { get; }
    public int[] Right { get; }
    /// <summary>Leaf outputs, the tree weight already multiplied in.</summary>
    public double[] Leaves { get; }
    public double Bias { get; }
    /// <summary>Per feature, its share of the split gain over all trees (they sum to 1, or are all 0 for a model without splits).</summary>
    public IReadOnlyList<double> Importances { get; }

    public int Trees => Roots.Length;

    /// <summary>The score of one feature row (NaN: unknown).</summary>
    public double Score(ReadOnlySpan<float> row)
    {
        var sum = Bias;
        var roots = Roots;
        for (var t = 0; t < roots.Length; t++)
        {
            var node = roots[t];
            while (node >= 0)
            {
                var v = row[SplitFeature[node]];
                if (float.IsNaN(v)) v = Missing;
                node = v <= Threshold[node] ? Left[node] : Right[node];
            }
            sum += Leaves[~node];
        }
        return sum;
    }

    /// <summary>Scores rows laid one after another (<see cref="RankingFeatures.Compute"/>) into <paramref name="scores"/>.</summary>
    public void Score(ReadOnlySpan<float> rows, Span<double> scores)
    {
        var width = Features.Count;
        for (var i = 0; i < scores.Length; i++) scores[i] = Score(rows.Slice(i * width, width));
    }

    /// <summary>The features by importance, largest first.</summary>
    public IReadOnlyList<(string Feature, double Importance)> ByImportance() =>
        Features.Select((f, i) => (f, Importances[i])).OrderByDescending(x => x.Item2).ThenBy(x => x.f, StringComparer.Ordinal).ToList();

    public byte[] Save()
    {
        using var bytes = new MemoryStream();
        using (var gzip = new GZipStream(bytes, CompressionLevel.Optimal, leaveOpen: true))
            JsonSerializer.Serialize(gzip, new Stored(CurrentFormat, [.. Features], Roots, SplitFeature, Threshold, Left, Right, Leaves, Bias, [.. Importances]), Json);
        return bytes.ToArray();
    }

    public static RankerModel Load(byte[] bytes)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
        var s = JsonSerializer.Deserialize<Stored>(gzip, Json) ?? throw new InvalidDataException("an empty ranker model");
        if (s.Format != CurrentFormat) throw new InvalidDataException($"ranker model format {s.Format}, this version reads {CurrentFormat}: retrain it");
        return new RankerModel(s.Features, s.Roots, s.SplitFeature, s.Threshold, s.Left, s.Right, s.Leaves, s.Bias, s.Importances);
    }

    /// <summary>Whether the model was trained on the features this version computes, in the same order.</summary>
    public bool Fits(IReadOnlyList<string> features) => Features.SequenceEqual(features);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Stored(int Format, string[] Features, int[] Roots, int[] SplitFeature, float[] Threshold, int[] Left, int[] Right,
        double[] Leaves, double Bias, double[] Importances);
}
