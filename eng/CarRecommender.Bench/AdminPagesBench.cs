using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;
using Npgsql;

/// <summary>
/// The admin console's pages in headless Chromium (Debian's package, as the browser test uses) against the running
/// system: signed in as the admin, each page opened <c>runs</c> times, timed from navigation until the live page (its
/// circuit connected; the pages are not prerendered) shows its data.
/// </summary>
public static class AdminPagesBench
{
    public const double GoalMs = 1000;

    /// <summary>The AppHost's run-mode default of the admin-password parameter.</summary>
    private const string Password = "carrecommender-admin";

    public sealed record PageFigures(string Page, double P50, double Max);

    public static async Task<List<PageFigures>> MeasureAsync(DistributedApplication app, NpgsqlDataSource db, int runs)
    {
        await app.ResourceNotifications.WaitForResourceHealthyAsync("admin");
        long userId, listingId;
        await using (var cmd = db.CreateCommand("SELECT id FROM users WHERE role = 'User' AND content_vector IS NOT NULL ORDER BY interaction_count DESC LIMIT 1"))
            userId = (long)(await cmd.ExecuteScalarAsync())!;
        await using (var cmd = db.CreateCommand("SELECT id FROM listings JOIN listing_popularity p ON p.listing_id = id WHERE status = 'Active' ORDER BY p.view_count DESC LIMIT 1"))
            listingId = (long)(await cmd.ExecuteScalarAsync())!;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(120_000);
        var admin = app.GetEndpoint("admin", "http");

        await page.GotoAsync(new Uri(admin, "/login").ToString());
        await page.FillAsync("#email", "admin@example.com");
        await page.FillAsync("#password", Password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));

        var pages = new (string Name, string Path, string Ready)[]
        {
            ("overview", "/", "[data-testid=stat-active]"),
            ("users (grid)", "/users", "[data-testid=users-grid] tbody tr"),
            ($"user {userId}", $"/users/{userId}", "[data-testid=recommendation]"),
            ("listings (grid)", "/listings", "[data-testid=listings-grid] tbody tr"),
            ($"listing {listingId}", $"/listings/{listingId}", "[data-testid=similar]"),
            ("vector space", "/vectors", "[data-testid=vector-plot] svg"),
            ("pipelines & model", "/pipelines", "[data-testid=queues] tbody tr"),
        };
        var result = new List<PageFigures>();
        foreach (var (name, path, ready) in pages)
        {
            var times = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var sw = Stopwatch.StartNew();
                await page.GotoAsync(new Uri(admin, path).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
                await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
                await page.Locator(ready).First.WaitForAsync();
                times.Add(sw.Elapsed.TotalMilliseconds);
                if (await page.GetByTestId("backend-error").CountAsync() > 0)
                    throw new InvalidOperationException($"{name}: {await page.GetByTestId("backend-error").First.InnerTextAsync()}");
            }
            times.Sort();
            result.Add(new PageFigures(name, times[times.Count / 2], times[^1]));
        }
        return result;
    }
}
