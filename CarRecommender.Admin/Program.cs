using CarRecommender.Admin.Components;
using CarRecommender.Admin.Status;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
// "http://api" resolves through Aspire service discovery to the API's endpoint.
builder.Services.AddHttpClient<SystemStatusClient>(c => c.BaseAddress = new Uri("http://api"));

var app = builder.Build();

if (!app.Environment.IsDevelopment())
    app.UseExceptionHandler("/error", createScopeForErrors: true);

app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapDefaultEndpoints();

app.Run();
