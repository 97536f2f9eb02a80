using RabbitMQ.Client;

namespace CarRecommender.Messaging;

/// <summary>
/// The loop of an outbox publisher: (re)opens its confirming channel when needed, publishes a batch, waits when the
/// batch was not full, and on any failure (broker or database away) reports it and retries after a back-off that
/// doubles from 0.25 s to 10 s: delivery is delayed, never lost.
/// </summary>
public static class PublishLoop
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    /// <param name="open">Opens a channel with publisher confirms (and declares the topology).</param>
    /// <param name="dispatch">Publishes one batch; true when it was full (publish again at once).</param>
    /// <param name="idle">Waits for more work.</param>
    public static async Task RunAsync(Func<CancellationToken, Task<IChannel>> open, Func<IChannel, CancellationToken, Task<bool>> dispatch,
        Func<CancellationToken, Task> idle, Action<TimeSpan, Exception> retry, CancellationToken stoppingToken)
    {
        IChannel? channel = null;
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (channel is not { IsOpen: true })
                {
                    if (channel is not null) await channel.DisposeAsync();
                    channel = null;
                    channel = await open(stoppingToken);
                }
                var full = await dispatch(channel, stoppingToken);
                backoff = TimeSpan.FromMilliseconds(250);
                if (!full) await idle(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                retry(backoff, ex);
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
        if (channel is not null) await channel.DisposeAsync();
    }

    /// <summary>A channel with publisher confirms tracked per publish, after declaring the topology (its notices go to <paramref name="notice"/>).</summary>
    public static async Task<IChannel> OpenConfirmingChannelAsync(IConnection connection, Action<string> notice, CancellationToken ct)
    {
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        foreach (var n in await EventTopologySetup.DeclareAsync(connection, ct)) notice(n);
        return channel;
    }
}
