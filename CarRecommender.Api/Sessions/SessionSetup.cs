using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace CarRecommender.Api.Sessions;

public static class SessionSetup
{
    /// <summary>The rate-limit policy of session creation: per client address, as the token endpoint's.</summary>
    public const string CreateRateLimit = "session";

    /// <summary>
    /// Anonymous sessions: their store, their recommendations and the creation limit,
    /// <c>RateLimits:Sessions:PerMinute</c> new sessions a minute per client address (default 30).
    /// </summary>
    public static WebApplicationBuilder AddVisitorSessions(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<VisitorSessions>();
        builder.Services.AddScoped<SessionRecommendationService>();
        var perMinute = Math.Max(1, builder.Configuration.GetValue("RateLimits:Sessions:PerMinute", 30));
        // a policy of its own: sharing the token endpoint's would let one spend the other's window
        builder.Services.Configure<RateLimiterOptions>(o => o.AddPolicy(CreateRateLimit, ctx => RateLimitPartition.GetFixedWindowLimiter(
            ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })));
        return builder;
    }
}
