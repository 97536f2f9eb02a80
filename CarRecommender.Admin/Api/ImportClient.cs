using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using CarRecommender.Admin.Auth;
using CarRecommender.Core.Import;
using Microsoft.AspNetCore.Mvc;

namespace CarRecommender.Admin.Api;

/// <summary>The import settings the console sends with a file (the API validates them, as it does for the CLI).</summary>
public sealed record ImportSettings(string Source, bool Sync, string? Units, string? Currency, string FileName);

/// <summary>
/// The console's import calls to the API: a file upload may take minutes, so this client has no standard resilience
/// handler (its 30 s total timeout and retries do not fit a streamed body that cannot be replayed) and a 30-minute timeout.
/// </summary>
public sealed class ImportClient(HttpClient http)
{
    public Task<ImportPreview> PreviewAsync(AdminIdentity admin, string head, ImportSettings settings, CancellationToken ct) =>
        SendAsync<ImportPreview>(HttpMethod.Post, "/api/admin/listings/import/preview" + Query(settings, preview: true), admin,
            new StringContent(head, Encoding.UTF8, "text/csv"), ct);

    /// <summary>Streams the file to the import endpoint, reporting the bytes sent.</summary>
    public Task<ImportReport> ImportAsync(AdminIdentity admin, Stream file, long length, ImportSettings settings, IProgress<long> sent, CancellationToken ct)
    {
        var content = new StreamContent(new ProgressStream(file, sent.Report), 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        content.Headers.ContentLength = length;
        return SendAsync<ImportReport>(HttpMethod.Post, "/api/admin/listings/import" + Query(settings, preview: false), admin, content, ct);
    }

    public Task<List<ImportRunDto>> ImportsAsync(AdminIdentity admin, CancellationToken ct) =>
        SendAsync<List<ImportRunDto>>(HttpMethod.Get, "/api/admin/imports", admin, null, ct);

    public Task<List<PriceChangeDto>> PriceHistoryAsync(AdminIdentity admin, long listingId, CancellationToken ct) =>
        SendAsync<List<PriceChangeDto>>(HttpMethod.Get, $"/api/admin/listings/{listingId}/price-history", admin, null, ct);

    /// <summary>An import's rejected lines as the API's CSV.</summary>
    public async Task<byte[]> RejectionsCsvAsync(AdminIdentity admin, long importId, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, $"/api/admin/imports/{importId}/rejections.csv", admin, null);
        using var response = await ApiResponses.SendAsync(http, request, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    private static string Query(ImportSettings s, bool preview)
    {
        var q = new List<string>();
        if (!preview)
        {
            q.Add("source=" + Uri.EscapeDataString(s.Source));
            q.Add("fileName=" + Uri.EscapeDataString(s.FileName));
            if (s.Sync) q.Add("sync=true");
        }
        if (s.Units is { Length: > 0 } u) q.Add("units=" + Uri.EscapeDataString(u));
        if (s.Currency is { Length: > 0 } c) q.Add("currency=" + Uri.EscapeDataString(c));
        return q.Count == 0 ? "" : "?" + string.Join("&", q);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, AdminIdentity admin, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            admin.AccessToken ?? throw new ApiException("The session has no API token: sign in again.", HttpStatusCode.Unauthorized));
        return request;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, AdminIdentity admin, HttpContent? content, CancellationToken ct)
    {
        using var request = Request(method, path, admin, content);
        using var response = await ApiResponses.SendAsync(http, request, ct);
        return await ApiResponses.ReadAsync<T>(response, ct);
    }
}
