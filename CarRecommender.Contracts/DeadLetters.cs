namespace CarRecommender.Contracts;

/// <summary>A dead-lettered message as an operator sees it.</summary>
public sealed record DeadLetterDto(string? MessageId, string? Reason, string? SourceQueue, int Requeued, string Body, int Occurrences,
    DateTimeOffset FirstDeadLetteredAt, DateTimeOffset LastDeadLetteredAt);

/// <summary>
/// One pipeline's dead letters: how many (archived, plus those still in the dead-letter queue waiting for the worker to
/// archive them) and the newest archived ones.
/// </summary>
public sealed record DeadLetterQueueDto(string Pipeline, string Queue, long Messages, IReadOnlyList<DeadLetterDto> First, long Unarchived);

/// <summary>What a requeue or discard did.</summary>
public sealed record DeadLetterActionDto(string Pipeline, string Action, int Messages);
