using System.Security.Claims;
using System.Text;
using System.Threading.RateLimiting;
using CarRecommender.Auth;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CarRecommender.Api.Auth;

public static class AuthSetup
{
    public const string AdminPolicy = "admin";
    public const string TokenRateLimit = "token";
    public const string SearchRateLimit = "search";
    public const string SignInRateLimit = "sign-in";
    public const string SignUpRateLimit = "sign-up";

    public static WebApplicationBuilder AddCarRecommenderAuth(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
        if (Encoding.UTF8.GetByteCount(options.SigningKey) < 32)
            throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (the AppHost provides one).");
        options.DemoTokens ??= builder.Environment.IsDevelopment();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<EventQuota>();
        builder.Services.AddSingleton<UserAccounts>();

        // Auth:External: the marketplace identity provider's tokens, through a second scheme (ExternalBearer)
        var external = builder.Configuration.GetSection(ExternalAuthOptions.Section).Get<ExternalAuthOptions>() ?? new ExternalAuthOptions();
        external.Validate();
        builder.Services.AddSingleton(external);
        var authentication = builder.Services.AddAuthentication(external.Enabled ? ExternalBearer.ByIssuer : JwtBearerDefaults.AuthenticationScheme);
        if (external.Enabled)
        {
            builder.Services.AddMemoryCache();
            builder.Services.AddSingleton<ExternalUsers>();
            authentication.AddExternalBearer(external);
        }
        authentication.AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = AuthOptions.Issuer,
                ValidAudience = AuthOptions.Audience,
                IssuerSigningKey = TokenIssuer.Key(options.SigningKey),
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                NameClaimType = JwtRegisteredClaimNames.Email,
                RoleClaimType = "role",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(nameof(UserRole.Admin)).AddRequirements(new CurrentAdminRequirement()));
        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, CurrentAdminHandler>();
        builder.Services.AddSingleton(builder.Configuration.GetSection("Auth:SignIn").Get<SignInOptions>() ?? new SignInOptions());
        builder.Services.AddScoped<PasswordSignIn>();

        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // demo tokens: per client address, RateLimits:Tokens:PerMinute (30; a benchmark signing in its many shoppers raises it)
            var tokensPerMinute = Math.Max(1, builder.Configuration.GetValue("RateLimits:Tokens:PerMinute", 30));
            o.AddPolicy(TokenRateLimit, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = tokensPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // operators' sign-in: per client address, on top of each account's lockout (PasswordSignIn)
            o.AddPolicy(SignInRateLimit, ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // sign-up without a token (Development): per client address; operators creating users are not limited
            o.AddPolicy(SignUpRateLimit, ctx => ctx.User.Identity?.IsAuthenticated == true
                ? RateLimitPartition.GetNoLimiter("signed-in")
                : RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // events are charged per event by EventQuota, in the endpoint (a policy here could only count requests).
            // Search: anonymous callers per client address, signed-in ones per user (RateLimits:Search).
            var search = builder.Configuration.GetSection("RateLimits:Search");
            var anonymousPerMinute = search.GetValue("AnonymousPerMinute", 600);
            var userPerMinute = search.GetValue("UserPerMinute", 1200);
            o.AddPolicy(SearchRateLimit, ctx => ctx.User.FindFirstValue(JwtRegisteredClaimNames.Sub) is { } sub
                ? RateLimitPartition.GetTokenBucketLimiter("user:" + sub, _ => PerMinute(userPerMinute))
                : RateLimitPartition.GetTokenBucketLimiter("ip:" + (ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown"), _ => PerMinute(anonymousPerMinute)));
            o.OnRejected = async (ctx, ct) =>
            {
                var retryAfter = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var ra) ? ra : TimeSpan.FromMinutes(1);
                ctx.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await TypedResults.Problem(new ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"Rate limit reached; try again in {Math.Ceiling(retryAfter.TotalSeconds)} s.",
                }).ExecuteAsync(ctx.HttpContext);
            };
        });
        return builder;
    }

    /// <summary>
    /// A bucket of a minute's allowance, refilled evenly: a sixtieth every second, or one token every 60/n seconds below
    /// 60 a minute (the limiter replenishes whole tokens on a timer, so periods shorter than a second are avoided).
    /// </summary>
    private static TokenBucketRateLimiterOptions PerMinute(int perMinute)
    {
        perMinute = Math.Max(1, perMinute);
        return new()
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 60),
            ReplenishmentPeriod = perMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    /// <summary>The caller's user id from the token's <c>sub</c> claim.</summary>
    public static long UserId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id)
            ? id
            : throw new InvalidOperationException("The token has no numeric sub claim.");

    /// <summary>Who the caller is in a record of what they did: their e-mail, else "admin {id}".</summary>
    public static string OperatorName(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.Email) ?? user.FindFirstValue("email") ?? "admin " + user.FindFirstValue(JwtRegisteredClaimNames.Sub);
}
