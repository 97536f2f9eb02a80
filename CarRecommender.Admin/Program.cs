using System.Threading.RateLimiting;
using CarRecommender.Admin.Api;
using CarRecommender.Admin.Auth;
using CarRecommender.Admin.Components;
using CarRecommender.Admin.Status;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

// No database and no broker here: the console reads and acts through the API alone, with the operator's token.
builder.AddServiceDefaults();

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

// Operators sign in with their own e-mail and password, checked by the API (POST /api/auth/sign-in), which hands the
// console that admin's token; the console holds no signing key. The session is a cookie of at most the token's life
// (8 h), idle for at most 30 minutes, and the role is re-checked on every request and every minute in an open console.
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
{
    o.LoginPath = "/login";
    o.AccessDeniedPath = "/login";
    o.Cookie.Name = "carrecommender-admin";
    o.Cookie.HttpOnly = true;
    o.Cookie.SameSite = SameSiteMode.Strict;
    o.ExpireTimeSpan = TimeSpan.FromMinutes(30);
    o.SlidingExpiration = true;
    o.Events.OnValidatePrincipal = AdminSessionCheck.ValidateCookieAsync;
});
builder.Services.AddAuthorization();
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddScoped<AuthenticationStateProvider, AdminRevalidation>();
builder.Services.AddHttpClient<AdminLogin>(c => c.BaseAddress = new Uri("http://api"));
builder.Services.AddSingleton(TimeProvider.System);
// a sign-in form answers 10 attempts a minute per client address (each account also locks after 5 wrong passwords)
builder.Services.AddRateLimiter(o =>
{
    o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx =>
        HttpMethods.IsPost(ctx.Request.Method) && ctx.Request.Path.StartsWithSegments("/login")
            ? RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
            : RateLimitPartition.GetNoLimiter("other"));
});
// "http://api" resolves through Aspire service discovery to the API's endpoint.
builder.Services.AddHttpClient<SystemStatusClient>(c => c.BaseAddress = new Uri("http://api"));
builder.Services.AddHttpClient<ApiClient>(c => c.BaseAddress = new Uri("http://api"));
// an upload runs for minutes and its streamed body cannot be replayed: no standard resilience handler here (its 30 s
// total timeout and retries), which RemoveAllResilienceHandlers takes off the defaults (still marked for evaluation)
#pragma warning disable EXTEXP0001
builder.Services.AddHttpClient<ImportClient>(c =>
{
    c.BaseAddress = new Uri("http://api");
    c.Timeout = TimeSpan.FromMinutes(30);
}).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

var app = builder.Build();

if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/error", createScopeForErrors: true);

app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapPost("/logout", async (HttpContext context) =>
{
    await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    return Results.LocalRedirect("/login");
});
// an import's rejected lines, fetched from the API with the signed-in operator's token (the browser holds no API token)
app.MapGet("/imports/{id:long}/rejections.csv", async (long id, HttpContext context, ImportClient imports, CancellationToken ct) =>
    Results.File(await imports.RejectionsCsvAsync(AdminIdentity.From(context.User), id, ct), "text/csv", $"import-{id}-rejections.csv"))
    .RequireAuthorization(p => p.RequireRole("Admin"));
app.MapDefaultEndpoints();

app.Run();
