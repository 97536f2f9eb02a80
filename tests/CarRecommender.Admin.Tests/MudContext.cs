using Bunit;
using MudBlazor.Services;

namespace CarRecommender.Admin.Tests;

/// <summary>A bUnit context with MudBlazor's services, disposed asynchronously (MudBlazor's services are only IAsyncDisposable).</summary>
public abstract class MudContext : BunitContext, IAsyncLifetime
{
    protected MudContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
