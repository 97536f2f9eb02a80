using System.Text.Json;
using CarRecommender.Contracts;
using CarRecommender.Core.Data;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Pipelines.Jobs;

/// <summary>
/// The worker's writes to a job's row (<c>jobs</c>, created by the API): taking it, its progress, its outcome. Progress
/// reported by the job is written at most every <see cref="WriteEvery"/>, and the row is touched at least every
/// <see cref="Heartbeat"/> while the job runs, so the API can tell a job whose worker died from a slow one.
/// </summary>
public sealed class JobRecord(NpgsqlDataSource dataSource, long jobId)
{
    public static readonly TimeSpan WriteEvery = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Takes the queued job (running from now on) and returns its kind; null when there is nothing to run: the job is
    /// no longer queued (done, given up as stale, or taken before). A redelivered command of a job still marked running
    /// means the worker that took it stopped during it: that job is marked failed.
    /// </summary>
    public async Task<string?> TakeAsync(bool redelivered, CancellationToken ct)
    {
        await using var take = dataSource.CreateCommand("""
            UPDATE jobs SET state = 'running', stage = 'starting', started_at = now(), updated_at = now()
            WHERE id = $1 AND state = 'queued' RETURNING kind
            """);
        take.Parameters.AddWithValue(jobId);
        if (await take.ExecuteScalarAsync(ct) is string kind) return kind;
        if (redelivered)
        {
            await using var orphan = dataSource.CreateCommand("""
                UPDATE jobs SET state = 'failed', stage = 'failed', finished_at = now(), updated_at = now(),
                       error = 'the worker stopped while it ran this job: ask again'
                WHERE id = $1 AND state = 'running'
                """);
            orphan.Parameters.AddWithValue(jobId);
            await orphan.ExecuteNonQueryAsync(ct);
        }
        return null;
    }

    /// <summary>Runs <paramref name="work"/> with a progress sink whose reports reach the row (throttled) until it ends.</summary>
    public async Task<JobOutcome> RunAsync(Func<IProgress<LoadProgress>, Task<JobOutcome>> work, CancellationToken ct)
    {
        LoadProgress? latest = null;
        var progress = new SyncProgress<LoadProgress>(p => Volatile.Write(ref latest, p));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writer = WriteProgressAsync(() => Volatile.Read(ref latest), stop.Token);
        try
        {
            return await work(progress);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }
    }

    private async Task WriteProgressAsync(Func<LoadProgress?> latest, CancellationToken ct)
    {
        LoadProgress? written = null;
        var lastWrite = DateTime.UtcNow;
        using var timer = new PeriodicTimer(WriteEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = latest();
                if (ReferenceEquals(now, written) && DateTime.UtcNow - lastWrite < Heartbeat) continue;
                try
                {
                    await using var cmd = dataSource.CreateCommand(
                        "UPDATE jobs SET stage = coalesce($2, stage), percent = coalesce($3, percent), updated_at = now() WHERE id = $1 AND state = 'running'");
                    cmd.Parameters.AddWithValue(jobId);
                    cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)now?.Stage ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                    cmd.Parameters.Add(new NpgsqlParameter { Value = now is null ? DBNull.Value : Percent(now), NpgsqlDbType = NpgsqlDbType.Double });
                    await cmd.ExecuteNonQueryAsync(ct);
                    (written, lastWrite) = (now, DateTime.UtcNow);
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    // a missed progress write is no failure of the job: the next tick writes the newest state
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Records how the job ended (retried for a while when the database is away, so a finished job is not lost to a blip).</summary>
    public async Task FinishAsync(JobOutcome outcome, CancellationToken ct)
    {
        var failed = outcome.Error is not null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var cmd = dataSource.CreateCommand("""
                    UPDATE jobs SET state = $2, stage = $2, percent = $3, result = $4, error = $5, result_json = $6::jsonb,
                           finished_at = now(), updated_at = now()
                    WHERE id = $1
                    """);
                cmd.Parameters.AddWithValue(jobId);
                cmd.Parameters.AddWithValue(failed ? JobStates.Failed : JobStates.Done);
                cmd.Parameters.AddWithValue(failed ? 0d : 100d);
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.Result ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter
                {
                    Value = outcome.Evaluation is null ? DBNull.Value : JsonSerializer.Serialize(outcome.Evaluation, JsonSerializerOptions.Web),
                    NpgsqlDbType = NpgsqlDbType.Text,
                });
                await cmd.ExecuteNonQueryAsync(ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private static double Percent(LoadProgress p) => p.Total > 0 ? 100.0 * p.Done / p.Total : 0;
}
