using Bunit;
using CarRecommender.Admin.Components.Pages;

namespace CarRecommender.Admin.Tests;

/// <summary>
/// Pages against an API that is not there (a closed local port): each must show a clear message, not throw. The pages
/// with data are driven against a fake API here and through the running system in the browser test (EndToEnd:
/// AdminConsoleTests).
/// </summary>
public sealed class PageTests : MudContext
{
    // nothing listens on port 1: every call fails at once with a connection error
    public PageTests() => FakeApi.SignInAndUse(this, new HttpClientHandler(), "http://127.0.0.1:1");

    [Fact]
    public void Users_page_with_the_api_down_shows_an_error_instead_of_throwing() => AssertUnreachable(Render<Users>());

    [Fact]
    public void Listings_page_with_the_api_down_shows_an_error_instead_of_throwing() => AssertUnreachable(Render<Listings>());

    [Fact]
    public void A_user_page_with_the_api_down_shows_an_error_instead_of_throwing() => AssertUnreachable(Render<UserPage>(p => p.Add(c => c.Id, 42)));

    private static void AssertUnreachable<T>(IRenderedComponent<T> cut) where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.WaitForAssertion(() => Assert.Contains("The API cannot be reached", cut.Find("[data-testid=backend-error]").TextContent,
            StringComparison.Ordinal), TimeSpan.FromSeconds(10));
}
