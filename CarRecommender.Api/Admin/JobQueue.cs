using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using Npgsql;
using RabbitMQ.Client;

namespace CarRecommender.Api.Admin;

/// <summary>What asking for a job came to: the job accepted, the job of that kind already under way, or the bus refusing it.</summary>
public sealed record JobStart(JobDto? Accepted, JobDto? Running, string? BusError);

/// <summary>
/// The API's side of the operators' jobs: a job is a <c>jobs</c> row (queued) and a persistent command message on
/// <see cref="JobTopology.Exchange"/>, published with publisher confirms after the row committed; the worker runs it and
/// writes its progress and outcome to the row. One queued or running job per kind, held by a partial unique index, so
/// two operators clicking at once get one job and a 409. A job whose row has not moved for <see cref="StaleAfter"/>
/// (its worker died, or no worker ever took it) no longer counts as running: the next request marks it failed.
/// </summary>
public sealed class JobQueue(NpgsqlDataSource dataSource)
{
    /// <summary>The worker writes a running job's row at least every 10 s (progress or heartbeat); this long silent, it is given up.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    private const string Columns =
        "id, kind, state, stage, percent, result, error, result_json::text, requested_by, created_at, started_at, finished_at, updated_at";

    public async Task<JobStart> StartAsync(string kind, string requestedBy, IConnection connection, CancellationToken ct)
    {
        JobDto? job;
        await using (var conn = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await conn.BeginTransactionAsync(ct))
        {
            await using (var stale = new NpgsqlCommand("""
                UPDATE jobs SET state = 'failed', finished_at = now(), updated_at = now(),
                       error = 'no word from the worker for ' || $2 || ' s: given up (the worker stopped, or none is running)'
                WHERE kind = $1 AND state IN ('queued', 'running') AND updated_at < now() - make_interval(secs => $2)
                """, conn, tx))
            {
                stale.Parameters.AddWithValue(kind);
                stale.Parameters.AddWithValue((int)StaleAfter.TotalSeconds);
                await stale.ExecuteNonQueryAsync(ct);
            }
            await using (var insert = new NpgsqlCommand($"""
                INSERT INTO jobs (kind, state, stage, percent, requested_by, created_at, updated_at)
                VALUES ($1, 'queued', 'waiting for the worker', 0, $2, now(), now())
                ON CONFLICT (kind) WHERE state IN ('queued', 'running') DO NOTHING
                RETURNING {Columns}
                """, conn, tx))
            {
                insert.Parameters.AddWithValue(kind);
                insert.Parameters.AddWithValue(requestedBy);
                job = await ReadOneAsync(insert, ct);
            }
            await tx.CommitAsync(ct);
        }
        if (job is null) return new JobStart(null, (await LatestAsync(kind, 1, ct)).FirstOrDefault(j => j.Active), null);

        try
        {
            await PublishAsync(connection, new JobCommand(job.Id, kind, job.CreatedAt), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await using var failed = dataSource.CreateCommand(
                "UPDATE jobs SET state = 'failed', error = $2, finished_at = now(), updated_at = now() WHERE id = $1 AND state = 'queued'");
            failed.Parameters.AddWithValue(job.Id);
            failed.Parameters.AddWithValue("the message bus did not take the job: " + ex.Message);
            await failed.ExecuteNonQueryAsync(CancellationToken.None);
            return new JobStart(null, null, ex.Message);
        }
        return new JobStart(job, null, null);
    }

    public async Task<JobDto?> GetAsync(long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM jobs WHERE id = $1");
        cmd.Parameters.AddWithValue(id);
        return await ReadOneAsync(cmd, ct);
    }

    /// <summary>The newest jobs (of one kind, or of every kind), newest first.</summary>
    public async Task<List<JobDto>> LatestAsync(string? kind, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM jobs WHERE $1::text IS NULL OR kind = $1 ORDER BY id DESC LIMIT $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)kind ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.AddWithValue(limit);
        var result = new List<JobDto>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add(Read(r));
        return result;
    }

    private static async Task PublishAsync(IConnection connection, JobCommand command, CancellationToken ct)
    {
        await using var channel = await PublishLoop.OpenConfirmingChannelAsync(connection, _ => { }, ct);
        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = $"job-{command.JobId}",
            ContentType = "application/json",
            Type = "job." + command.Kind,
            Headers = new Dictionary<string, object?> { [EventTopology.ContractHeader] = JobCommand.ContractVersion },
        };
        // returns when RabbitMQ confirmed; throws on a nack or an unroutable message
        await channel.BasicPublishAsync(JobTopology.Exchange, JobTopology.RoutingKey, mandatory: true, properties, command.ToJson(), ct);
    }

    private static async Task<JobDto?> ReadOneAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? Read(r) : null;
    }

    private static JobDto Read(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDouble(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : System.Text.Json.JsonSerializer.Deserialize<List<EvaluationRowDto>>(r.GetString(7), System.Text.Json.JsonSerializerOptions.Web),
        r.GetString(8), r.GetFieldValue<DateTimeOffset>(9), r.IsDBNull(10) ? null : r.GetFieldValue<DateTimeOffset>(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.GetFieldValue<DateTimeOffset>(12));
}
