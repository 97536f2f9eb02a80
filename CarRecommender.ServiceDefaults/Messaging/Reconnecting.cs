namespace CarRecommender.Messaging;

/// <summary>
/// Runs a consumer until the service stops: when it fails (the broker or the database went away, its channel closed),
/// it is reported and started again after a back-off that doubles from 0.5 s to 10 s.
/// </summary>
public static class Reconnecting
{
    public static async Task RunAsync(Func<CancellationToken, Task> consume, Action<TimeSpan, Exception> down, CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await consume(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                down(backoff, ex);
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, backoff.Ticks * 2));
            }
        }
    }
}
