using CarRecommender.Admin.Api;
using CarRecommender.Admin.Auth;
using CarRecommender.Admin.Components;
using CarRecommender.Admin.Data;
using CarRecommender.Admin.Operations;
using CarRecommender.Admin.Status;
using CarRecommender.Auth;
using CarRecommender.Core.Learning;
using CarRecommender.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();

// Operators sign in with an Admin-role user's e-mail and the console password (AppHost parameter admin-password).
builder.Services.AddSingleton(builder.Configuration.GetSection("Admin").Get<AdminLoginOptions>() ?? new AdminLoginOptions());
builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
{
    o.LoginPath = "/login";
    o.AccessDeniedPath = "/login";
    o.Cookie.Name = "carrecommender-admin";
    o.Cookie.HttpOnly = true;
    o.Cookie.SameSite = SameSiteMode.Strict;
    o.ExpireTimeSpan = TimeSpan.FromHours(8);
    o.SlidingExpiration = true;
});
builder.Services.AddAuthorization();
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddScoped<AdminLogin>();

// The API's signing key (from the AppHost): the console calls the API with short-lived tokens it signs itself.
var auth = builder.Configuration.GetSection("Auth").Get<AuthOptions>() ?? new AuthOptions();
if (System.Text.Encoding.UTF8.GetByteCount(auth.SigningKey) < 32)
    throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (the AppHost provides one).");
builder.Services.AddSingleton(auth);
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<TokenIssuer>();
// "http://api" resolves through Aspire service discovery to the API's endpoint.
builder.Services.AddHttpClient<SystemStatusClient>(c => c.BaseAddress = new Uri("http://api"));
builder.Services.AddHttpClient<ApiClient>(c => c.BaseAddress = new Uri("http://api"));

builder.Services.AddSingleton<AdminQueries>();
builder.Services.AddSingleton<QueueStats>();
builder.Services.AddSingleton<OverviewCache>();
builder.Services.AddSingleton(builder.Configuration.GetSection("Als").Get<AlsSettings>() ?? new AlsSettings());
builder.Services.AddSingleton<ModelOperations>();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/error", createScopeForErrors: true);

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
app.MapDefaultEndpoints();

app.Run();
