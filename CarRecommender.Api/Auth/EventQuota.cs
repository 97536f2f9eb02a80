using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CarRecommender.Api.Auth;

/// <summary>
/// The events' rate limit, charged per event rather than per request: a token bucket per user (the <c>sub</c> claim),
/// per anonymous session (<c>X-Session-Id</c>), else per client address, from which a batch of n events takes n tokens, so a client batching 500 events per request
/// gets no more than one sending them one by one. Settings under <c>RateLimits:Events</c>: <c>PerSecond</c> (sustained,
/// default 100) and <c>Burst</c> (default 1,000; never below the largest batch, so every valid batch can pass).
/// A request that cannot be read still costs one token, so garbage is metered too.
/// </summary>
public sealed class EventQuota : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public EventQuota(IConfiguration configuration)
    {
        var section = configuration.GetSection("RateLimits:Events");
        PerSecond = Math.Max(1, section.GetValue("PerSecond", 100));
        Burst = Math.Max(Interactions.EventParser.MaxBatch, section.GetValue("Burst", 1_000));
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public int PerSecond { get; }
    public int Burst { get; }

    /// <summary>Events a body asks to record: an array's length, else one.</summary>
    public static int EventsIn(JsonElement body) => body.ValueKind == JsonValueKind.Array ? Math.Max(1, body.GetArrayLength()) : 1;

    /// <summary>
    /// Takes <paramref name="events"/> tokens from the caller's bucket (the signed-in user's, else the
    /// <paramref name="session"/>'s, else the client address's); a 429 problem (with Retry-After) when it lacks them.
    /// </summary>
    public ProblemHttpResult? TryCharge(HttpContext http, int events, Guid? session = null)
    {
        var key = http.User.FindFirstValue(JwtRegisteredClaimNames.Sub) is { } sub ? "user:" + sub
            : session is { } id ? "session:" + id.ToString("D")
            : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        using var lease = _limiter.AttemptAcquire(key, Math.Min(events, Burst));
        if (lease.IsAcquired) return null;
        // the bucket refills PerSecond tokens a second: the wait until this batch fits
        var seconds = Math.Max(1, (int)Math.Ceiling((double)Math.Min(events, Burst) / PerSecond));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many events",
            Detail = $"The event rate limit is {PerSecond} events a second (bursts up to {Burst}) per user or session; this request carries {events}. "
                     + $"Try again in {seconds} s.",
        });
    }

    public void Dispose() => _limiter.Dispose();
}
