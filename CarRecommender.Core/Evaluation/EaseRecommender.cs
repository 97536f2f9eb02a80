using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>EASE at item level (<see cref="Ease"/>): a user's training items, binary, times B; seen items excluded.</summary>
public sealed class EaseRecommender(EaseOptions options) : IRecommender
{
    private SparseMatrix? _userItems;
    private ThreadLocal<(float[] Scores, float[] Buffer)>? _scratch;

    public EaseOptions Options { get; } = options;
    public EaseModel? Model { get; private set; }
    public string Name => "EASE";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        progress?.Report(new LoadProgress("EASE: inverting the item Gram matrix", 0, 0));
        _userItems = data.UserItems;
        var model = Model = Ease.Train(data.UserItems, Options, ct);
        _scratch?.Dispose();
        _scratch = new ThreadLocal<(float[], float[])>(() => (new float[data.UserItems.Columns], new float[model.Size]));
    }

    public int Recommend(int user, Span<int> destination)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        var (scores, buffer) = _scratch!.Value;
        var seen = m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]);
        Ease.Score(Model!, seen, scores, buffer);
        TopK.Exclude(scores, seen);
        return TopK.Select(scores, destination);
    }

    /// <summary>The user's EASE scores over every training column (−∞ outside the model), for blending.</summary>
    public void Scores(int user, Span<float> scores)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        Ease.Score(Model!, m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]), scores, _scratch!.Value.Buffer);
    }
}
