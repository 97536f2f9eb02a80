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
/// Retrains implicit ALS on the whole interaction log without stopping anything that serves. The log is read (one
/// snapshot), the model searched and trained in memory, and the next item factors are built beside the serving ones in
/// <c>listing_factors_next</c> (COPY, then its primary key and HNSW index, which nobody reads yet). A short switch
/// transaction then folds in the users whose events came after the snapshot, records the <c>model_versions</c> row and
/// swaps the tables by rename: listings are never rewritten or locked, the API keeps serving the previous model until
/// the commit, and the collaborative pipeline's fold-ins wait only for the switch (<see cref="FactorStore.SwitchLockKey"/>).
/// The other users' factors follow in short transactions. Every user's stored vector ends as the exact fold-in of their
/// whole history into the new item factors, so the pipeline's next fold-in of them continues from the same place.
/// Listings nobody interacted with get factors from their content: a ridge regression from content vectors to the
/// trained item factors (the attribute-to-feature mapping of Gantner et al., 2010), so a new car can be recommended
/// collaboratively before anyone has clicked it. A session advisory lock keeps two trainers (schedule, CLI, dashboard,
/// admin console) from overlapping.
/// </summary>
public sealed class AlsTrainer(NpgsqlDataSource dataSource)
{
    private const long LockKey = 0x_A15_7A1;
    /// <summary>Ridge penalty of the content → factor mapping.</summary>
    private const double ColdStartRidge = 1.0;
    /// <summary>
    /// Users with interactions recorded less than this before the snapshot are folded in again at the switch: an event
    /// whose transaction began before the snapshot but committed after it carries an earlier recorded_at than the
    /// snapshot yet is not in it.
    /// </summary>
    public static readonly TimeSpan SnapshotMargin = TimeSpan.FromMinutes(1);
    private const string NextTable = "listing_factors_next";

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
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await Exec(conn, null, "SET statement_timeout = 0", ct);
        if (!await ScalarAsync<bool>(conn, null, $"SELECT pg_try_advisory_lock({LockKey})", ct))
            throw new InvalidOperationException("another ALS training is running");
        try
        {
            return await TrainLockedAsync(conn, fixedOptions, search, trigger, progress, ct);
        }
        finally
        {
            await Exec(conn, null, $"SELECT pg_advisory_unlock({LockKey}); RESET statement_timeout", CancellationToken.None);
        }
    }

    private static async Task<ModelVersion?> TrainLockedAsync(NpgsqlConnection conn, AlsOptions? fixedOptions, ModelSearchSettings? search, string trigger,
        IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        progress?.Report(new LoadProgress("loading interactions", 0, 0));
        var snapshotAt = new DateTimeOffset(await ScalarAsync<DateTime>(conn, null, "SELECT clock_timestamp()", ct));
        var (matrix, userIds, itemIds, pairs, log) = await LoadAsync(conn, ct);
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
        var cold = await ColdStartFactorsAsync(conn, model, itemIds, ct);
        var gram = ImplicitAls.Gram(model.ItemFactors, model.Factors);
        var meanUserPairs = (double)matrix.NonZeros / Math.Max(1, matrix.Rows);

        // the second collaborative model: EASE over car models, which outlive the listings they were learnt from
        progress?.Report(new LoadProgress("car-model EASE", 0, 0));
        var carModels = await CarModelsAsync(conn, itemIds, ct);
        var carModelLog = CarModelEase.MapLog(log, carModels);
        var carModelSearch = fixedOptions is null && search is not null && carModelLog.Entries.Length > 0
            ? ModelSearch.RunEase(carModelLog, search, null, progress, ct)
            : ((EaseOptions, MetricsAtK, IReadOnlyList<SearchTrial>)?)null;
        var carModelOptions = carModelSearch?.Item1 ?? ModelSearch.DefaultEase;
        var carModelMatrix = carModelLog.ToMatrix(carModelLog.Entries);
        var links = carModelMatrix.NonZeros == 0 ? CarModelLinks.Empty
            : CarModelEase.Links(Ease.Train(carModelMatrix, carModelOptions, ct), carModelLog.ItemIds);

        var version = new ModelVersion
        {
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
            ItemGram = gram,
            Trigger = trigger,
            Confidence = options.Confidence.ToString(),
            RegularizationExponent = options.RegularizationExponent,
            MeanUserPairs = meanUserPairs,
            ValidationNdcg = outcome?.AlsValidation.Ndcg,
            Search = outcome is null ? null : SearchJson(outcome, carModelSearch?.Item3 ?? []),
            SnapshotAt = snapshotAt,
            CarModels = carModelLog.Items,
            CarModelLambda = carModelOptions.Lambda,
            CarModelValidationNdcg = carModelSearch?.Item2.Ndcg,
        };
        // What the pipeline folds against once this model serves; every trained user gets the exact fold-in of their
        // history into the final item factors (not the last sweep's factors, which solved against the previous ones).
        var serving = new CurrentModel(0, options with { Factors = model.Factors }, gram, meanUserPairs, itemIds.Length);
        progress?.Report(new LoadProgress("folding users into the final factors", 0, 0));
        var userFactors = FoldInTrainedUsers(matrix, model, serving, ct);

        progress?.Report(new LoadProgress("building the next item factors", 0, 0));
        await BuildNextFactorsAsync(conn, itemIds.Select((id, i) => (id, model.Item(i).ToArray())).Concat(cold), ct);

        progress?.Report(new LoadProgress("switching to the new model", 0, 0));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                version.CreatedAt = DateTimeOffset.UtcNow;
                version.DurationMs = total.ElapsedMilliseconds;
                await SwitchAsync(conn, version, serving, links, ct);
                break;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected && attempt < 5)
            {
                // a long query on the serving factors held the swap back, or a pipeline batch locked a user row the switch
                // wanted while waiting for one it held: the transaction rolled back, nothing was switched, try again
            }
        }
        progress?.Report(new LoadProgress("writing users' factors", 0, 0));
        await WriteTrainedUsersAsync(conn, snapshotAt - SnapshotMargin, userIds, userFactors, ct);
        // the planner's statistics of the new table (and of the users' vectors) are empty until analysed: without them it
        // chose a sequential scan for the latent ANN query. After the commit, so it holds no locks; statistics are not
        // data, a crash before it leaves autovacuum to do it
        progress?.Report(new LoadProgress("analysing", 0, 0));
        await Exec(conn, null, $"ANALYZE {FactorStore.ServingTable}; ANALYZE users", ct);
        return version;
    }

    /// <summary>Every trained user's exact fold-in into the final item factors, as the pipeline computes one (row order).</summary>
    private static float[][] FoldInTrainedUsers(SparseMatrix matrix, AlsModel model, CurrentModel serving, CancellationToken ct)
    {
        var result = new float[matrix.Rows][];
        Parallel.For(0, matrix.Rows, new ParallelOptions { CancellationToken = ct }, u =>
        {
            var (start, end) = (matrix.RowStart[u], matrix.RowStart[u + 1]);
            result[u] = ImplicitAls.FoldIn(matrix.ColumnIndex.AsSpan(start, end - start), matrix.Values.AsSpan(start, end - start), model.ItemFactors,
                serving.ItemGram, serving.Options, serving.MeanUserPairs, modelItems: end - start);
        });
        return result;
    }

    /// <summary>
    /// The next item factors in a table of their own, with the serving table's primary key and HNSW index (its definition
    /// read from the serving index, so the tuning lives in one place). No foreign key to listings: creating one locks
    /// listings against writes, and dropping the old table with one locks listings against reads (see CarRecommenderDb).
    /// </summary>
    private static async Task BuildNextFactorsAsync(NpgsqlConnection conn, IEnumerable<(long Id, float[] Factors)> rows, CancellationToken ct)
    {
        var indexDefinition = await ScalarAsync<string>(conn, null,
            $"SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = '{FactorStore.ServingTable}' AND indexdef ILIKE '% USING hnsw %'", ct);
        await Exec(conn, null, $"""
            DROP TABLE IF EXISTS {NextTable};
            CREATE TABLE {NextTable} (listing_id bigint NOT NULL, factors vector({VectorSizes.Latent}) NOT NULL);
            """, ct);
        await using (var writer = await conn.BeginBulkCopyAsync($"COPY {NextTable} (listing_id, factors) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (id, factors) in rows)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(id, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(new Vector(factors), "vector", ct);
            }
            await writer.CompleteAsync(ct);
        }
        var nextIndex = indexDefinition
            .Replace(" INDEX ix_listing_factors_factors ON ", " INDEX ix_listing_factors_factors_next ON ", StringComparison.Ordinal)
            .Replace($".{FactorStore.ServingTable} USING", $".{NextTable} USING", StringComparison.Ordinal);
        await Exec(conn, null, $"""
            ALTER TABLE {NextTable} ADD CONSTRAINT pk_listing_factors_next PRIMARY KEY (listing_id);
            {nextIndex};
            """, ct);
    }

    /// <summary>
    /// The switch, in one short transaction: the model version and its car-model links, the users whose events came
    /// after the snapshot folded into the new factors, then the tables swapped by rename (an exclusive lock on the serving
    /// factors for the last statements only, bounded by a lock timeout). The other users' rows are not touched here: a
    /// switch that rewrote every user held their row locks until it committed, and the API's requests (a view updates the
    /// user's interaction count) waited on them (<see cref="WriteTrainedUsersAsync"/> writes them afterwards).
    /// </summary>
    private static async Task SwitchAsync(NpgsqlConnection conn, ModelVersion version, CurrentModel serving, CarModelLinks links, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, tx, $"SELECT pg_advisory_xact_lock({FactorStore.SwitchLockKey})", ct);
        version.Id = await InsertVersionAsync(conn, tx, version, ct);
        await WriteLinksAsync(conn, tx, version.Id, links, ct);

        // events recorded after the snapshot (their fold-ins, if any, were against the old model): fold those users in
        // again, now against the new factors, from their whole history as it stands inside this transaction
        var late = new List<long>();
        await using (var cmd = new NpgsqlCommand("SELECT DISTINCT user_id FROM interactions WHERE recorded_at > $1", conn, tx))
        {
            cmd.Parameters.AddWithValue(version.SnapshotAt!.Value - SnapshotMargin);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) late.Add(reader.GetInt64(0));
        }
        await FactorStore.FoldInUsersAsync(conn, tx, serving with { Id = version.Id }, late, ct, NextTable);

        await Exec(conn, tx, $"""
            SET LOCAL lock_timeout = '10s';
            DROP TABLE {FactorStore.ServingTable};
            ALTER TABLE {NextTable} RENAME TO {FactorStore.ServingTable};
            ALTER TABLE {FactorStore.ServingTable} RENAME CONSTRAINT pk_listing_factors_next TO pk_listing_factors;
            ALTER INDEX ix_listing_factors_factors_next RENAME TO ix_listing_factors_factors;
            """, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>Users written per transaction after the switch: each holds its rows' locks for a fraction of a second.</summary>
    private const int UserChunk = 500;

    /// <summary>
    /// After the switch, every trained user's fold-in into the new factors (computed in memory from the snapshot), in
    /// short transactions of <see cref="UserChunk"/> users. A user with events after the snapshot (less the margin) is
    /// skipped: the switch re-folded them from their whole history, and the collaborative pipeline folds them from then
    /// on; for everyone else the snapshot is their whole history, so the written vector is exactly a fresh fold-in.
    /// Users outside the training data lose their vectors from the old space. Until a user's chunk is written (seconds at
    /// 100,000 users) their live latent candidates mix the old user vector with the new item factors; stored lists are
    /// unaffected.
    /// </summary>
    private static async Task WriteTrainedUsersAsync(NpgsqlConnection conn, DateTimeOffset lateSince, long[] userIds, float[][] userFactors,
        CancellationToken ct)
    {
        for (var start = 0; start < userIds.Length; start += UserChunk)
        {
            var end = Math.Min(userIds.Length, start + UserChunk);
            await using var tx = await conn.BeginTransactionAsync(ct);
            await Exec(conn, tx, "CREATE TEMP TABLE IF NOT EXISTS als_users (id bigint PRIMARY KEY, factors vector) ON COMMIT DELETE ROWS", ct);
            await using (var writer = await conn.BeginBulkCopyAsync("COPY als_users (id, factors) FROM STDIN (FORMAT BINARY)", ct))
            {
                for (var u = start; u < end; u++)
                {
                    await writer.StartRowAsync(ct);
                    await writer.WriteAsync(userIds[u], NpgsqlDbType.Bigint, ct);
                    await writer.WriteAsync(new Vector(userFactors[u]), "vector", ct);
                }
                await writer.CompleteAsync(ct);
            }
            // rows locked in id order first (the join would take them in hash order and deadlock with the pipelines)
            await using (var update = new NpgsqlCommand("""
                WITH locked AS (SELECT u.id FROM users u JOIN als_users f ON f.id = u.id ORDER BY u.id FOR NO KEY UPDATE OF u)
                UPDATE users u SET latent_vector = f.factors FROM als_users f, locked k
                WHERE u.id = f.id AND k.id = u.id AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = u.id AND i.recorded_at > $1)
                """, conn, tx))
            {
                update.Parameters.AddWithValue(lateSince);
                await update.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        // a user outside the training data (no positive history) has no factors in the new space
        await using var clear = new NpgsqlCommand("""
            WITH locked AS (SELECT id FROM users WHERE latent_vector IS NOT NULL AND id <> ALL ($1) ORDER BY id FOR NO KEY UPDATE)
            UPDATE users u SET latent_vector = NULL FROM locked k
            WHERE u.id = k.id AND u.latent_vector IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM interactions i WHERE i.user_id = u.id AND i.recorded_at > $2)
            """, conn);
        clear.Parameters.AddWithValue(userIds);
        clear.Parameters.AddWithValue(lateSince);
        await clear.ExecuteNonQueryAsync(ct);
    }

    private static async Task<long> InsertVersionAsync(NpgsqlConnection conn, NpgsqlTransaction tx, ModelVersion version, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO model_versions (created_at, factors, iterations, regularization, alpha, users, items, interactions,
                                        duration_ms, train_ms, loss_history, loss, cold_items, item_gram, trigger,
                                        confidence, regularization_exponent, mean_user_pairs, validation_ndcg, search,
                                        car_models, car_model_lambda, car_model_validation_ndcg, snapshot_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::jsonb, $21, $22, $23, $24) RETURNING id
            """, conn, tx);
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
        insert.Parameters.AddWithValue(version.CarModelLambda is { } lambda ? lambda : DBNull.Value);
        insert.Parameters.AddWithValue(version.CarModelValidationNdcg is { } c ? c : DBNull.Value);
        insert.Parameters.AddWithValue(version.SnapshotAt!.Value);
        return (long)(await insert.ExecuteScalarAsync(ct))!;
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
        CancellationToken ct)
    {
        var users = new Dictionary<long, int>();
        var items = new Dictionary<long, int>();
        var entries = new List<LogEntry>();
        await using (var cmd = new NpgsqlCommand($"""
            SELECT user_id, listing_id, strength, extract(epoch FROM last)::bigint
            FROM (SELECT user_id, listing_id, {ImplicitFeedback.SqlStrength} AS strength, max(occurred_at) AS last
                  FROM interactions GROUP BY user_id, listing_id) s
            WHERE strength > 0
            """, conn))
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
    private static async Task<string?[]> CarModelsAsync(NpgsqlConnection conn, long[] itemIds, CancellationToken ct)
    {
        var index = itemIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var models = new string?[itemIds.Length];
        await using var cmd = new NpgsqlCommand("SELECT id, car_model FROM listings WHERE id = ANY($1)", conn);
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
    private static async Task<List<(long Id, float[] Factors)>> ColdStartFactorsAsync(NpgsqlConnection conn, AlsModel model,
        long[] itemIds, CancellationToken ct)
    {
        var k = model.Factors;
        var trained = itemIds.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);
        var xs = new List<float[]>();
        var ys = new List<float[]>();
        var cold = new List<(long, float[])>();
        await using (var cmd = new NpgsqlCommand("SELECT id, content_vector, status FROM listings WHERE content_vector IS NOT NULL", conn))
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

    private static async Task Exec(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
