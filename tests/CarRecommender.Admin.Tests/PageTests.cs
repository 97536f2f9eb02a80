using Bunit;
using Bunit.TestDoubles;
using CarRecommender.Admin.Components.Pages;
using CarRecommender.Admin.Data;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CarRecommender.Admin.Tests;

/// <summary>
/// Pages against a database that is not there (a closed local port): each must show a clear message, not throw.
/// The pages with data are driven through the running system in the browser test (EndToEnd: AdminConsoleTests).
/// </summary>
public sealed class PageTests : MudContext
{
    public PageTests()
    {
        // nothing listens on port 1: every query fails at once with a connection error
        Services.AddSingleton(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x;Timeout=2"));
        Services.AddSingleton<AdminQueries>();
        AddAuthorization().SetAuthorized("admin@example.com").SetRoles("Admin");
    }

    [Fact]
    public void Users_page_with_the_database_down_shows_an_error_instead_of_throwing()
    {
        var cut = Render<Users>();
        cut.WaitForAssertion(() => Assert.Contains("PostgreSQL cannot be reached", cut.Find("[data-testid=backend-error]").TextContent,
            StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Listings_page_with_the_database_down_shows_an_error_instead_of_throwing()
    {
        var cut = Render<Listings>();
        cut.WaitForAssertion(() => Assert.Contains("PostgreSQL cannot be reached", cut.Find("[data-testid=backend-error]").TextContent,
            StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_user_page_with_the_database_down_shows_an_error_instead_of_throwing()
    {
        Services.AddSingleton(new CarRecommender.Admin.Api.ApiClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1") }));
        var cut = Render<UserPage>(p => p.Add(c => c.Id, 42));
        cut.WaitForAssertion(() => Assert.Contains("PostgreSQL cannot be reached", cut.Find("[data-testid=backend-error]").TextContent,
            StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }
}
