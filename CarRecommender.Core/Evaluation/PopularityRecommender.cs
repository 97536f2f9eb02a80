using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>The baseline: the items most users interacted with in training, the same list for everyone (minus what they saw).</summary>
public sealed class PopularityRecommender : IRecommender
{
    private SparseMatrix? _userItems;
    private int[] _ranked = [];

    public string Name => "most-popular";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        _userItems = data.UserItems;
        var users = new int[data.UserItems.Columns];
        foreach (var i in data.UserItems.ColumnIndex) users[i]++;
        // more users first, lower index on ties; items nobody touched are not recommended
        _ranked = Enumerable.Range(0, users.Length).Where(i => users[i] > 0).OrderByDescending(i => users[i]).ThenBy(i => i).ToArray();
    }

    public int Recommend(int user, Span<int> destination)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        var seen = m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]);
        var n = 0;
        foreach (var item in _ranked)
        {
            if (n == destination.Length) break;
            if (seen.BinarySearch(item) >= 0) continue; // rows are sorted by column
            destination[n++] = item;
        }
        return n;
    }
}
