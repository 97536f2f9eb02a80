using System.Net;
using System.Net.Sockets;
using CarRecommender.Admin.Status;

namespace CarRecommender.Admin.Tests;

/// <summary>
/// The overview's backend status against an API that accepts a connection and then never answers (hung, or stuck
/// behind a stalled database): every backend must come back unhealthy when the page's deadline passes, not throw (the
/// page used to stop refreshing there, frozen on its last "healthy").
/// </summary>
public sealed class StatusTests : IDisposable
{
    private readonly TcpListener _silent = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _accepted = [];

    public StatusTests()
    {
        _silent.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true) lock (_accepted) _accepted.Add(_silent.AcceptSocket());
            }
            catch (SocketException)
            {
                // stopped
            }
            await Task.CompletedTask;
        });
    }

    private int Port => ((IPEndPoint)_silent.LocalEndpoint).Port;

    [Fact]
    public async Task An_api_that_never_answers_is_reported_unhealthy_with_the_backends_behind_it_at_the_deadline()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromMinutes(1) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        var started = DateTime.UtcNow;
        var status = await new SystemStatusClient(http).GetAsync(deadline.Token);

        Assert.Equal(["API", "PostgreSQL", "RabbitMQ"], status.Select(s => s.Name));
        Assert.All(status, s => Assert.False(s.Healthy, $"{s.Name} reported healthy"));
        Assert.Equal("no answer in time", status.Single(s => s.Name == "API").Detail);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "the status waited past its deadline");
    }

    public void Dispose()
    {
        _silent.Stop();
        lock (_accepted) foreach (var s in _accepted) s.Dispose();
    }
}
