using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>
/// What a recommender is fitted on: the user × item training matrix (strengths) and the original ids of its rows and
/// columns, so a recommender with side information (e.g. the production hybrid reading listings' content) can map
/// dense indices back to users and listings.
/// </summary>
public sealed record TrainingData(SparseMatrix UserItems, IReadOnlyList<string> UserIds, IReadOnlyList<string> ItemIds)
{
    public static TrainingData Of(DataSplit split) => new(split.TrainMatrix, split.Log.UserIds, split.Log.ItemIds);
}

/// <summary>A recommender under offline evaluation: fitted once on training data, then asked for each test user's top K.</summary>
public interface IRecommender
{
    /// <summary>Shown in result tables and JSON.</summary>
    string Name { get; }

    void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default);

    /// <summary>
    /// Writes the best items for <paramref name="user"/> (dense index), best first, into <paramref name="destination"/>
    /// (its length is K) and returns how many it wrote. Items the user has in the training data are never recommended.
    /// Called concurrently from several threads after <see cref="Fit"/>.
    /// </summary>
    int Recommend(int user, Span<int> destination);
}
