using System.Text.Json;

namespace CarRecommender.Core.Events;

/// <summary>
/// The message the API publishes when an operator asks for a job (<c>POST /api/admin/jobs</c>) and the worker consumes:
/// which <c>jobs</c> row to run. The row holds everything else (kind, who asked), so a message cannot disagree with it.
/// </summary>
public sealed record JobCommand(long JobId, string Kind, DateTimeOffset RequestedAt)
{
    public const int ContractVersion = 1;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, UserActivityEvent.Json);

    /// <summary>Parses a message body; null with a reason when it is not a job command (a poison message).</summary>
    public static JobCommand? Parse(ReadOnlySpan<byte> body, out string? error)
    {
        JobCommand? command;
        try
        {
            command = JsonSerializer.Deserialize<JobCommand>(body, UserActivityEvent.Json);
        }
        catch (JsonException ex)
        {
            error = "malformed JSON: " + ex.Message;
            return null;
        }
        error = command switch
        {
            null => "empty message",
            { JobId: <= 0 } => "jobId is missing",
            { Kind: null or "" } => "kind is missing",
            _ => null,
        };
        return error is null ? command : null;
    }
}

/// <summary>Where job commands travel: their own exchange and durable queue, with a dead-letter queue for unreadable ones.</summary>
public static class JobTopology
{
    public const string Exchange = "carrecommender.jobs";
    public const string DeadLetterExchange = "carrecommender.jobs.dead";
    public const string Queue = "jobs";
    public const string DeadLetterQueue = "jobs.dead";
    public const string RoutingKey = "job";
}
