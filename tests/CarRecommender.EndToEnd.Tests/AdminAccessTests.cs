using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>Access rules the reliability suite adds around the admin console, demo tokens and oversized uploads.</summary>
[Collection(AppCollection.Name)]
public sealed class AdminAccessTests(AppFixture fixture)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/users")]
    [InlineData("/users/1")]
    [InlineData("/listings")]
    [InlineData("/listings/1")]
    [InlineData("/vectors")]
    [InlineData("/pipelines")]
    public async Task Admin_console_pages_send_anonymous_visitors_to_the_sign_in_page(string path)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = fixture.App.GetEndpoint("admin", "http") };

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString,
            StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sign_in_page_itself_is_public()
    {
        using var http = new HttpClient { BaseAddress = fixture.App.GetEndpoint("admin", "http") };
        var html = await http.GetStringAsync("/login");
        Assert.Contains("id=\"password\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_tokens_are_off_when_the_api_runs_outside_development()
    {
        // a second API process on the same database and broker, started as Production would be
        var port = FreePort();
        var dll = Cli.BuiltDll(new Projects.CarRecommender_Api().ProjectPath, "CarRecommender.Api.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ConnectionStrings__carrecommender"] = await fixture.ConnectionStringAsync("carrecommender");
        start.Environment["ConnectionStrings__messaging"] = await fixture.ConnectionStringAsync("messaging");
        start.Environment["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        start.Environment.Remove("Auth__DemoTokens");
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilAsync(async () =>
            {
                try
                {
                    using var r = await http.GetAsync("/alive");
                    return r.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(90), () => $"the Production API did not start:\n{output}");

            using var response = await http.PostAsJsonAsync("/api/auth/token", new { email = AppFixture.AdminEmail });

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Demo tokens are disabled", problem.GetProperty("title").GetString());
            Assert.DoesNotContain("accessToken", problem.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_gigabyte_csv_upload_is_refused_with_413_and_imports_nothing()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var before = await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings");
        using var admin = fixture.Api(fixture.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/listings/import")
        {
            Content = new StreamContent(new GarbageStream(1L << 30)),
        };
        request.Content.Headers.ContentType = new("text/csv");
        request.Content.Headers.ContentLength = 1L << 30;
        // the server refuses on the declared length, before the client has sent the gigabyte
        request.Headers.ExpectContinue = true;

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings"));
        Report.Line("CSV import: 1 GiB upload → 413 ProblemDetails, listings unchanged");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > timeout) Assert.Fail(describe());
            await Task.Delay(200);
        }
    }

    /// <summary>Random bytes, produced as read (nothing held in memory).</summary>
    private sealed class GarbageStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Random.Shared.NextBytes(buffer.AsSpan(offset, n));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
