using CarRecommender.Contracts;
using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CarRecommender.Pipelines.Jobs;

/// <summary>
/// Runs the jobs operators ask for through the API (<see cref="JobTopology.Queue"/>): takes the job's row, runs it with
/// its progress written to the row, records how it ended, and only then acknowledges the command. A retrain and an
/// evaluation may run side by side (prefetch 2; the API allows one of each kind at a time). A command that cannot be
/// read is rejected, which dead-letters it; one whose outcome could not be recorded is returned to the queue. At
/// shutdown a running job is recorded as failed ("the worker was stopped") before its command is acknowledged.
/// </summary>
public sealed partial class JobConsumer(IServiceProvider services, NpgsqlDataSource dataSource, ModelJobs jobs, ILogger<JobConsumer> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Reconnecting.RunAsync(ConsumeAsync, (backoff, ex) => LogDown(logger, backoff.TotalSeconds, ex.Message), stoppingToken);

    private async Task ConsumeAsync(CancellationToken ct)
    {
        // resolved here, not injected: the connection is made on first resolve, and RabbitMQ may be down at start-up
        var connection = services.GetRequiredService<IConnection>();
        await EventTopologySetup.DeclareAsync(connection, ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await channel.BasicQosAsync(0, 2, global: false, ct);
        var closed = new TaskCompletionSource();
        channel.ChannelShutdownAsync += (_, _) =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        var settle = new SemaphoreSlim(1, 1);
        var running = new List<Task>();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, ea) =>
        {
            // the body buffer is only valid during this callback; the job runs beside the consumer, so a second kind can start
            var (tag, body, redelivered) = (ea.DeliveryTag, ea.Body.ToArray(), ea.Redelivered);
            lock (running) running.Add(Task.Run(() => HandleAsync(channel, settle, tag, body, redelivered, ct), CancellationToken.None));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(JobTopology.Queue, autoAck: false, consumer, ct);
        LogConsuming(logger, JobTopology.Queue);
        try
        {
            await closed.Task.WaitAsync(ct);
        }
        finally
        {
            Task[] pending;
            lock (running) pending = [.. running];
            await Task.WhenAll(pending);
        }
        throw new InvalidOperationException("the channel closed");
    }

    private async Task HandleAsync(IChannel channel, SemaphoreSlim settle, ulong tag, byte[] body, bool redelivered, CancellationToken ct)
    {
        var command = JobCommand.Parse(body, out var error);
        if (command is null)
        {
            LogPoison(logger, error ?? "unreadable");
            await SettleAsync(settle, () => channel.BasicRejectAsync(tag, requeue: false, CancellationToken.None));
            return;
        }
        try
        {
            await RunAsync(command, redelivered, ct);
            await SettleAsync(settle, () => channel.BasicAckAsync(tag, multiple: false, CancellationToken.None));
        }
        catch (Exception ex)
        {
            // the outcome could not be recorded (the database is away): the command goes back, and its redelivery finds the job
            LogNotRecorded(logger, command.JobId, ex.Message);
            if (!ct.IsCancellationRequested) await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            await SettleAsync(settle, () => channel.BasicNackAsync(tag, multiple: false, requeue: true, CancellationToken.None));
        }
    }

    private async Task RunAsync(JobCommand command, bool redelivered, CancellationToken ct)
    {
        var record = new JobRecord(dataSource, command.JobId);
        var kind = await record.TakeAsync(redelivered, ct);
        if (kind is null)
        {
            LogSkipped(logger, command.JobId);
            return;
        }
        LogStarted(logger, command.JobId, kind);
        JobOutcome outcome;
        try
        {
            outcome = await record.RunAsync(progress => kind switch
            {
                JobKinds.Retrain => jobs.RetrainAsync(progress, ct),
                JobKinds.Evaluate => jobs.EvaluateAsync(progress, ct),
                JobKinds.PriceModel => jobs.PriceModelAsync(progress, ct),
                JobKinds.TrainRanker => jobs.TrainRankerAsync(progress, ct),
                _ => Task.FromResult(new JobOutcome(null, $"unknown job kind '{kind}'")),
            }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            outcome = new JobOutcome(null, "the worker was stopped during the job: ask again");
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex, command.JobId, kind);
            outcome = new JobOutcome(null, ex.Message);
        }
        await record.FinishAsync(outcome, CancellationToken.None);
        LogFinished(logger, command.JobId, kind, outcome.Error ?? outcome.Result ?? "");
    }

    private static async Task SettleAsync(SemaphoreSlim settle, Func<ValueTask> action)
    {
        await settle.WaitAsync();
        try
        {
            await action();
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or ObjectDisposedException)
        {
            // the channel closed meanwhile: the broker redelivers the command, and its redelivery finds the job settled
        }
        finally
        {
            settle.Release();
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "job consumer consuming {Queue}")]
    private static partial void LogConsuming(ILogger logger, string queue);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) started")]
    private static partial void LogStarted(ILogger logger, long jobId, string kind);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Job {JobId} ({Kind}) finished: {Outcome}")]
    private static partial void LogFinished(ILogger logger, long jobId, string kind, string outcome);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Job {JobId} ({Kind}) failed")]
    private static partial void LogFailed(ILogger logger, Exception ex, long jobId, string kind);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Job {JobId} is not queued any more (done, given up or taken): nothing to run")]
    private static partial void LogSkipped(ILogger logger, long jobId);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Error, Message = "a job command is unreadable, dead-lettered: {Error}")]
    private static partial void LogPoison(ILogger logger, string error);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Warning, Message = "Job {JobId}: its outcome could not be recorded, command returned: {Message}")]
    private static partial void LogNotRecorded(ILogger logger, long jobId, string message);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "job consumer down, reconnecting in {Seconds} s: {Message}")]
    private static partial void LogDown(ILogger logger, double seconds, string message);
}
