using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc;

namespace CarRecommender.Admin.Api;

/// <summary>How the console's API clients send a request and turn a failure into an <see cref="ApiException"/> a page can show.</summary>
public static class ApiResponses
{
    /// <summary>
    /// Sends <paramref name="request"/> and returns the successful response (the caller disposes it). An unreachable API,
    /// or an answer that is not a success, throws with the ProblemDetails' detail or title and a validation problem's
    /// field messages.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new ApiException("The API cannot be reached: " + ex.Message);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            ValidationProblemDetails? problem = null;
            try
            {
                problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(ct);
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException)
            {
                // not ProblemDetails: the status code says enough
            }
            var what = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "error";
            var errors = problem is { Errors.Count: > 0 } ? " " + string.Join("; ", problem.Errors.SelectMany(e => e.Value)) : "";
            throw new ApiException($"The API answered {(int)response.StatusCode}: {what}{errors}", response.StatusCode);
        }
    }

    /// <summary>The response's JSON body; an empty one throws.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(ct) ?? throw new ApiException("The API answered with an empty body.");
}
