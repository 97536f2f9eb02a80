using System.Diagnostics;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Evaluation;
using MathNet.Numerics.LinearAlgebra;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Core.Learning;

/// <summary>
/// Retrains implicit ALS on the whole interaction log and swaps the factors in one transaction: item factors onto
/// listings, user factors onto users, and a <c>model_versions</c> row. Listings nobody interacted with get factors
/// from their content: a ridge regression from content vectors to the trained item factors (the attribute-to-feature
/// mapping of Gantner et al., 2010), so a new car can be recommended collaboratively before anyone has clicked it.
/// An advisory lock keeps two trainers (schedule, CLI, dashboard, admin console) from overlapping.
/// </summary>
public sealed class AlsTrainer(NpgsqlDataSource dataSource)
{
    private const long LockKey = 0x_A15_7A1;
    /// <summary>Ridge penalty of the content → factor mapping.</summary>
    private const double ColdStartRidge = 1.0;

    /// <summary>Retrains as configured: the self-tuning first when it is on, else the fixed setting.</summary>
    public Task<ModelVersion?> TrainAsync(AlsSettings settings, string trigger, IProgress<LoadProgress>? progress, CancellationToken ct) =>
        TrainAsync(settings.FixedOptions, settings.Search, trigger, progress, ct);

    /// <summary>Retrains with exactly <paramref name="options"/> (no search).</summary>
    public Task<ModelVersion?> TrainAsync(AlsOptions options, string trigger, IProgress<LoadProgress>? progress, CancellationToken ct) =>
        TrainAsync(options, null, trigger, progress, ct);

    /// <param name="fixedOptions">The setting to train; null to let the self-tuning (<paramref name="search"/>) choose it.</param>
    public async Task<ModelVersion?> TrainAsync(AlsOptions? fixedOptions, ModelSearchSettings? search, string trigger, IProgress<LoadProgress>? progress,
        CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, tx, "SET LOCAL statement_timeout = 0", ct);
        await using (var lockCmd = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({LockKey})", conn, tx))
        {
            if (!(bool)(await lockCmd.ExecuteScalarAsync(ct))!) throw new InvalidOperationException("another ALS training is running");
        }

        progress?.Report(new LoadProgress("loading interactions", 0, 0));
        var (matrix, userIds, itemIds, pairs, log) = await LoadAsync(conn, tx, ct);
        if (matrix.NonZeros == 0) return null;

        SearchOutcome? outcome = null;
        var options = fixedOptions ?? ModelSearch.Default;
        if (fixedOptions is null && search is not null)
        {
            outcome = ModelSearch.RunAls(log, search with { MaxFactors = Math.Min(search.MaxFactors, VectorSizes.Latent) }, progress, null, ct);
            options = outcome.Als;
        }
        if (options.Factors > VectorSizes.Latent)
            throw new ArgumentException($"ALS rank {options.Factors} exceeds the stored latent vectors' {VectorSizes.Latent} dimensions", nameof(fixedOptions));

        var train = Stopwatch.StartNew();
        var losses = new List<double>();
        var model = ImplicitAls.Train(matrix, options, new SyncProgress<(int Iteration, double Loss)>(p =>
        {
            losses.Add(p.Loss);
            progress?.Report(new LoadProgress("training", p.Iteration, options.Iterations));
        }), ct);
        train.Stop();

        progress?.Report(new LoadProgress("mapping cold listings", 0, 0));
        // a lower rank is stored zero-padded to the column's width: dot products, the ANN index and the fold-in (whose
        // padded Gram rows are zero, so the padded coordinates solve to zero) are unchanged
        model = Pad(model, VectorSizes.Latent);
        var cold = await ColdStartFactorsAsync(conn, tx, model, itemIds, ct);

        // the second collaborative model: EASE over car models, which outlive the listings they were learnt from
        progress?.Report(new LoadProgress("car-model EASE", 0, 0));
        var carModels = await CarModelsAsync(conn, tx, itemIds, ct);
        var carModelLog = CarModelEase.MapLog(log, carModels);
        var carModelSearch = fixedOptions is null && search is not null && carModelLog.Entries.Length > 0
            ? ModelSearch.RunEase(carModelLog, search, null, progress, ct)
            : ((EaseOptions, MetricsAtK, IReadOnlyList<SearchTrial>)?)null;
        var carModelOptions = carModelSearch?.Item1 ?? ModelSearch.DefaultEase;
        var carModelMatrix = carModelLog.ToMatrix(carModelLog.Entries);
        var links = carModelMatrix.NonZeros == 0 ? CarModelLinks.Empty
            : CarModelEase.Links(Ease.Train(carModelMatrix, carModelOptions, ct), carModelLog.ItemIds);

        // Each row stays locked from its update to the commit. The users' rows, which the content and collaborative
        // pipelines lock, are written last, so events wait at most for that one statement; the listings' rows, written
        // first and locked for longer, are only the popularity pipeline's.
        progress?.Report(new LoadProgress("writing factors", 0, 0));
        await WriteFactorsAsync(conn, tx, "listings", itemIds.Select((id, i) => (id, model.Item(i).ToArray())).Concat(cold), ct);
        await WriteFactorsAsync(conn, tx, "users", userIds.Select((id, i) => (id, model.User(i).ToArray())), ct);

        var version = new ModelVersion
        {
            CreatedAt = DateTimeOffset.UtcNow,
            Factors = options.Factors,
            Iterations = options.Iterations,
            Regularization = options.Regularization,
            Alpha = options.Alpha,
            Users = userIds.Length,
            Items = itemIds.Length,
            Interactions = pairs,
            TrainMs = train.ElapsedMilliseconds,
            LossHistory = [.. losses],
            Loss = losses.Count > 0 ? losses[^1] : double.NaN,
            ColdItems = cold.Count,
            ItemGram = ImplicitAls.Gram(model.ItemFactors, model.Factors),
            Trigger = trigger,
            Confidence = options.Confidence.ToString(),
            RegularizationExponent = options.RegularizationExponent,
            MeanUserPairs = (double)matrix.NonZeros / Math.Max(1, matrix.Rows),
            ValidationNdcg = outcome?.AlsValidation.Ndcg,
            Search = outcome is null ? null : SearchJson(outcome, carModelSearch?.Item3 ?? []),
            CarModels = carModelLog.Items,
            CarModelLambda = carModelOptions.Lambda,
            CarModelValidationNdcg = carModelSearch?.Item2.Ndcg,
        };
        version.DurationMs = total.ElapsedMilliseconds;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO model_versions (created_at, factors, iterations, regularization, alpha, users, items, interactions,
                                        duration_ms, train_ms, loss_history, loss, cold_items, item_gram, trigger,
                                        confidence, regularization_exponent, mean_user_pairs, validation_ndcg, search,
                                        car_models, car_model_lambda, car_model_validation_ndcg)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::jsonb, $21, $22, $23) RETURNING id
            """, conn, tx))
        {
            insert.Parameters.AddWithValue(version.CreatedAt);
            insert.Parameters.AddWithValue(version.Factors);
            insert.Parameters.AddWithValue(version.Iterations);
            insert.Parameters.AddWithValue(version.Regularization);
            insert.Parameters.AddWithValue(version.Alpha);
            insert.Parameters.AddWithValue(version.Users);
            insert.Parameters.AddWithValue(version.Items);
            insert.Parameters.AddWithValue(version.Interactions);
            insert.Parameters.AddWithValue(version.DurationMs);
            insert.Parameters.AddWithValue(version.TrainMs);
            insert.Parameters.AddWithValue(version.LossHistory);
            insert.Parameters.AddWithValue(version.Loss);
            insert.Parameters.AddWithValue(version.ColdItems);
            insert.Parameters.AddWithValue(version.ItemGram);
            insert.Parameters.AddWithValue(version.Trigger);
            insert.Parameters.AddWithValue(version.Confidence);
            insert.Parameters.AddWithValue(version.RegularizationExponent);
            insert.Parameters.AddWithValue(version.MeanUserPairs);
            insert.Parameters.AddWithValue(version.ValidationNdcg is { } v ? v : DBNull.Value);
            insert.Parameters.Add(new NpgsqlParameter { Value = version.Search is { } json ? json : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.AddWithValue(version.CarModels);
            insert.Parameters.AddWithValue(version.CarModelLambda);
            insert.Parameters.AddWithValue(version.CarModelValidationNdcg is { } c ? c : DBNull.Value);
            version.Id = (long)(await insert.ExecuteScalarAsync(ct))!;
        }
        await WriteLinksAsync(conn, tx, version.Id, links, ct);
        await tx.CommitAsync(ct);
        // the planner's statistics still say latent_vector is mostly NULL after the first retrain: without this it
        // chose a parallel sequential scan over every listing for the latent ANN query (found by eng/bench.sh recommend).
        // After the commit, so it holds no row locks; statistics are not data, a crash before it leaves autovacuum to do it
        progress?.Report(new LoadProgress("analysing", 0, 0));
        await Exec(conn, null, "ANALYZE listings; ANALYZE users", ct);
        return version;
    }

    /// <summary>The self-tuning as stored with the model (shown on the console's Pipelines page), with the car-model EASE's trials.</summary>
    public static string SearchJson(SearchOutcome o, IReadOnlyList<SearchTrial> carModelTrials) => System.Text.Json.JsonSerializer.Serialize(new
    {
        validation = o.ValidationProtocol,
        users = o.ValidationUsers,
        seconds = Math.Round(o.Seconds, 2),
        chosen = ModelSearch.Describe(o.Als),
        ndcg = o.AlsValidation.Ndcg,
        recall = o.AlsValidation.Recall,
        trials = o.Trials.Concat(carModelTrials.Select(t => t with { Model = "EASE (car models)" })).Select(t => new { model = t.Model, setting = t.Setting, ndcg = t.Validation.Ndcg, recall = t.Validation.Recall, fitSeconds = Math.Round(t.FitSeconds, 2) }),
    });

    private static AlsModel Pad(AlsModel model, int width)
    {
        if (model.Factors == width) return model;
        static float[] PadRows(float[] rows, int k, int width)
        {
            var padded = new float[rows.Length / k * width];
            for (var r = 0; r < rows.Length / k; r++) rows.AsSpan(r * k, k).CopyTo(padded.AsSpan(r * width, k));
            return padded;
        }
        return new AlsModel(width, PadRows(model.UserFactors, model.Factors, width), PadRows(model.ItemFactors, model.Factors, width));
    }

    private static async Task<(SparseMatrix Matrix, long[] UserIds, long[] ItemIds, long Pairs, InteractionLog Log)> LoadAsync(NpgsqlConnection conn,
        NpgsqlTransaction tx, CancellationToken ct)
    {
        var users = new Dictionary<long, int>();
        var items = new Dictionary<long, int>();
        var entries = new List<LogEntry>();
        await using (var cmd = new NpgsqlCommand($"""
            SELECT user_id, listing_id, strength, extract(epoch FROM last)::bigint
            FROM (SELECT user_id, listing_id, {ImplicitFeedback.SqlStrength} AS strength, max(occurred_at) AS last
                  FROM interactions GROUP BY user_id, listing_id) s
            WHERE strength > 0
            """, conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var u = reader.GetInt64(0);
                var i = reader.GetInt64(1);
                if (!users.TryGetValue(u, out var ui)) users[u] = ui = users.Count;
                if (!items.TryGetValue(i, out var ii)) items[i] = ii = items.Count;
                entries.Add(new LogEntry(ui, ii, (float)reader.GetDouble(2), reader.GetInt64(3)));
            }
        }
        var userIds = users.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var itemIds = items.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var log = new InteractionLog(userIds.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            itemIds.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), [.. entries]);
        return (log.ToMatrix(log.Entries), userIds, itemIds, entries.Count, log);
    }

    /// <summary>The car-model key of each trained listing, by item index.</summary>
    private static async Task<string?[]> CarModelsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long[] itemIds, CancellationToken ct)
    {
        var index = itemIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var models = new string?[itemIds.Length];
        await using var cmd = new NpgsqlCommand("SELECT id, car_model FROM listings WHERE id = ANY($1)", conn, tx);
        cmd.Parameters.AddWithValue(itemIds);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) models[index[reader.GetInt64(0)]] = reader.GetString(1);
        return models;
    }

    /// <summary>Stores the car-model links under the new version and drops older versions' (serving reads the newest).</summary>
    private static async Task WriteLinksAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long versionId, CarModelLinks links, CancellationToken ct)
    {
        await using (var writer = await conn.BeginBulkCopyAsync("COPY car_model_links (model_version_id, car_model, related, weight) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (source, related) in links.BySource)
            {
                foreach (var link in related)
                {
                    await writer.StartRowAsync(ct);
                    await writer.WriteAsync(versionId, NpgsqlDbType.Bigint, ct);
                    await writer.WriteAsync(source, NpgsqlDbType.Varchar, ct);
                    await writer.WriteAsync(link.Related, NpgsqlDbType.Varchar, ct);
                    await writer.WriteAsync(link.Weight, NpgsqlDbType.Real, ct);
                }
            }
            await writer.CompleteAsync(ct);
        }
        await using var delete = new NpgsqlCommand("DELETE FROM car_model_links WHERE model_version_id <> $1", conn, tx);
        delete.Parameters.AddWithValue(versionId);
        await delete.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Factors for active listings outside the training data, predicted from their content vectors.</summary>
    private static async Task<List<(long Id, float[] Factors)>> ColdStartFactorsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, AlsModel model,
        long[] itemIds, CancellationToken ct)
    {
        var k = model.Factors;
        var trained = itemIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var xs = new List<float[]>();
        var ys = new List<float[]>();
        var cold = new List<(long, float[])>();
        await using (var cmd = new NpgsqlCommand("SELECT id, content_vector, status FROM listings WHERE content_vector IS NOT NULL", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetInt64(0);
                var content = reader.GetFieldValue<Vector>(1).ToArray();
                if (trained.TryGetValue(id, out var index))
                {
                    xs.Add(content);
                    ys.Add(model.Item(index).ToArray());
                }
                else if (reader.GetString(2) == nameof(ListingStatus.Active))
                {
                    cold.Add((id, content));
                }
            }
        }
        if (xs.Count < 2 || cold.Count == 0) return [];
        var d = xs[0].Length;
        var x = Matrix<double>.Build.Dense(xs.Count, d, (r, c) => xs[r][c]);
        var y = Matrix<double>.Build.Dense(ys.Count, k, (r, c) => ys[r][c]);
        var w = (x.TransposeThisAndMultiply(x) + Matrix<double>.Build.DenseIdentity(d) * ColdStartRidge).Cholesky().Solve(x.TransposeThisAndMultiply(y));
        var wf = new float[d * k];
        for (var r = 0; r < d; r++)
            for (var c = 0; c < k; c++) wf[r * k + c] = (float)w[r, c];
        return cold.Select(item =>
        {
            var f = new float[k];
            for (var r = 0; r < d; r++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(wf.AsSpan(r * k, k), item.Item2[r], f, f);
            return (item.Item1, f);
        }).ToList();
    }

    /// <summary>Binary COPY into a temp table, then one UPDATE … FROM: fast for any number of rows.</summary>
    private static async Task WriteFactorsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string table, IEnumerable<(long Id, float[] Factors)> rows,
        CancellationToken ct)
    {
        await Exec(conn, tx, "CREATE TEMP TABLE IF NOT EXISTS als_factors (id bigint PRIMARY KEY, factors vector) ON COMMIT DROP; TRUNCATE als_factors", ct);
        await using (var writer = await conn.BeginBulkCopyAsync("COPY als_factors (id, factors) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (id, factors) in rows)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(new Vector(factors), "vector", ct);
            }
            await writer.CompleteAsync(ct);
        }
        // Rewriting most of a large catalogue row by row through its HNSW indexes takes far longer than rebuilding them
        // (measured at 1M listings), so above RebuildIndexesAbove rows the listings' HNSW indexes are dropped and rebuilt
        // from their own definitions, inside this transaction like the catalogue loader does.
        var rebuild = table == "listings" && await CountAsync(conn, tx, ct) > RebuildIndexesAbove
            ? await CatalogueLoader.HnswIndexesAsync(conn, ct)
            : [];
        foreach (var (name, _) in rebuild) await Exec(conn, tx, $"DROP INDEX \"{name}\"", ct);
        await Exec(conn, tx, $"UPDATE {table} t SET latent_vector = f.factors FROM als_factors f WHERE t.id = f.id", ct);
        foreach (var (_, definition) in rebuild) await Exec(conn, tx, definition, ct);
    }

    /// <summary>Factor rows above which the listings' HNSW indexes are rebuilt rather than updated row by row.</summary>
    public const int RebuildIndexesAbove = 100_000;

    private static async Task<long> CountAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM als_factors", conn, tx);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
