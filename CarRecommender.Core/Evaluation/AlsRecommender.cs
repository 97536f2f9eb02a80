using System.Numerics.Tensors;
using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>
/// The production collaborative model: <see cref="ImplicitAls.Train"/> on the training matrix, items scored by the
/// user · item factor dot product (what the latent ANN query ranks by in production).
/// </summary>
public sealed class AlsRecommender(AlsOptions options) : IRecommender
{
    private SparseMatrix? _userItems;
    private ThreadLocal<float[]>? _scratch;

    public AlsOptions Options { get; } = options;
    public AlsModel? Model { get; private set; }
    public string Name => "ALS";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        _userItems = data.UserItems;
        Model = ImplicitAls.Train(data.UserItems, Options,
            progress is null ? null : new SyncProgress<(int Iteration, double Loss)>(p => progress.Report(new LoadProgress("ALS: iterations", p.Iteration, Options.Iterations))), ct);
        _scratch?.Dispose();
        _scratch = new ThreadLocal<float[]>(() => new float[data.UserItems.Columns]);
    }

    public int Recommend(int user, Span<int> destination)
    {
        var model = Model ?? throw new InvalidOperationException("Fit first");
        var m = _userItems!;
        var scores = _scratch!.Value!;
        var x = model.User(user);
        for (var i = 0; i < scores.Length; i++) scores[i] = TensorPrimitives.Dot(x, model.Item(i));
        TopK.Exclude(scores, m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]));
        return TopK.Select(scores, destination);
    }
}
