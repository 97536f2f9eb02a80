using System.Globalization;
using Bunit;
using CarRecommender.Admin.Api;
using CarRecommender.Admin.Components.Shared;
using CarRecommender.Contracts;
using CarRecommender.Core.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CarRecommender.Admin.Tests;

/// <summary>bUnit tests of the console's components: what an operator reads must follow from the data.</summary>
public sealed class ComponentTests : MudContext
{
    [Fact]
    public void Vector_bars_label_every_content_dimension_and_scale_to_the_largest_value()
    {
        var labels = ContentEncoder.Layout.Select(d => (d.Group, d.Label)).ToList();
        var values = new float[ContentEncoder.Dimensions];
        values[0] = -1.5f; // price: cheap
        values[ContentEncoder.Layout.Single(d => d.Label == "Suv").Index] = 0.75f;

        var cut = Render<VectorBars>(p => p.Add(c => c.Values, values).Add(c => c.Labels, labels));

        var bars = cut.FindAll("[data-testid=bar]");
        Assert.Equal(ContentEncoder.Dimensions, bars.Count);
        Assert.Equal(ContentEncoder.Layout.Select(d => d.Label), bars.Select(b => b.GetAttribute("data-label")));
        var price = bars.Single(b => b.GetAttribute("data-label") == "price");
        var suv = bars.Single(b => b.GetAttribute("data-label") == "Suv");
        Assert.Equal(-1.5, double.Parse(price.GetAttribute("data-value")!, CultureInfo.InvariantCulture), 4);
        // the largest magnitude fills half the track (the other half is for the other sign), left of the centre line
        Assert.Contains("width: 50%", price.GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains("right: 50%", price.GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains("width: 25%", suv.GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains("left: 50%", suv.GetAttribute("style"), StringComparison.Ordinal);
    }

    [Fact]
    public void Vector_bars_without_labels_number_the_dimensions_and_a_missing_vector_says_so()
    {
        var cut = Render<VectorBars>(p => p.Add(c => c.Values, new[] { 0.1f, 0f, -0.2f }));
        Assert.Equal(["dim 0", "dim 1", "dim 2"], cut.FindAll("[data-testid=bar]").Select(b => b.GetAttribute("data-label")));

        var empty = Render<VectorBars>(p => p.Add(c => c.Values, null).Add(c => c.EmptyText, "No content vector yet."));
        Assert.Empty(empty.FindAll("[data-testid=bar]"));
        Assert.Contains("No content vector yet.", empty.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_all_zero_vector_draws_empty_bars_rather_than_dividing_by_zero()
    {
        var cut = Render<VectorBars>(p => p.Add(c => c.Values, new float[4]));
        Assert.All(cut.FindAll("[data-testid=bar]"), b => Assert.Contains("width: 0%", b.GetAttribute("style"), StringComparison.Ordinal));
    }

    [Fact]
    public void A_job_shows_progress_while_running_then_its_result_or_its_error()
    {
        var started = DateTimeOffset.UtcNow;
        var running = Render<Job>(p => p.Add(c => c.Title, "Retrain").Add(c => c.TestId, "job")
            .Add(c => c.State, Job(JobStates.Running, "training", 40, null, null, started, null)));
        Assert.Equal("true", running.Find("[data-testid=job]").GetAttribute("data-running"));
        Assert.Contains("training", running.Markup, StringComparison.Ordinal);
        Assert.Contains("(40 %)", running.Markup, StringComparison.Ordinal);
        Assert.NotEmpty(running.FindAll(".mud-progress-linear"));

        var failed = Render<Job>(p => p.Add(c => c.Title, "Retrain").Add(c => c.TestId, "job")
            .Add(c => c.State, Job(JobStates.Failed, "failed", 0, null, "another ALS training is running", started, started.AddSeconds(1))));
        Assert.Equal("false", failed.Find("[data-testid=job]").GetAttribute("data-running"));
        Assert.Contains("another ALS training is running", failed.Find(".mud-alert").TextContent, StringComparison.Ordinal);
        Assert.Empty(failed.FindAll(".mud-progress-linear"));

        var queued = Render<Job>(p => p.Add(c => c.Title, "Retrain").Add(c => c.TestId, "job")
            .Add(c => c.State, Job(JobStates.Queued, "waiting for the worker", 0, null, null, started, null)));
        Assert.Equal("true", queued.Find("[data-testid=job]").GetAttribute("data-running"));
        Assert.Equal(started.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), queued.Find("[data-testid=job]").GetAttribute("data-started"));
        Assert.NotEmpty(queued.FindAll(".mud-progress-linear"));

        var done = Render<Job>(p => p.Add(c => c.Title, "Retrain").Add(c => c.TestId, "job")
            .Add(c => c.State, Job(JobStates.Done, "done", 100, "Model 3: 2 users × 5 listings", null, started, started.AddSeconds(2.5))));
        Assert.Contains("Model 3: 2 users × 5 listings (2.5 s)", done.Find(".mud-alert").TextContent, StringComparison.Ordinal);

        var idle = Render<Job>(p => p.Add(c => c.Title, "Retrain").Add(c => c.State, null));
        Assert.Equal("", idle.Markup.Trim());
    }

    private static JobDto Job(string state, string stage, double percent, string? result, string? error, DateTimeOffset created, DateTimeOffset? finished) =>
        new(1, JobKinds.Retrain, state, stage, percent, result, error, null, "admin@example.com", created, state == JobStates.Queued ? null : created, finished, created);

    [Fact]
    public void Backend_errors_say_what_the_api_answered_and_offer_a_retry()
    {
        var retried = 0;
        var cut = Render<BackendError>(p => p
            .Add(c => c.Message, BackendError.Describe(new ApiException("The API answered 503: The database is unavailable", System.Net.HttpStatusCode.ServiceUnavailable)))
            .Add(c => c.OnRetry, () => retried++));
        Assert.Contains("The API answered 503: The database is unavailable", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("The API did not answer in time.", BackendError.Describe(new TaskCanceledException()));
        cut.Find("button").Click();
        Assert.Equal(1, retried);
    }

    [Fact]
    public void A_scatter_plot_draws_one_path_per_non_empty_group_with_a_dot_per_point_and_y_pointing_up()
    {
        var groups = new List<ScatterPlot.Group>
        {
            new("Suv", "#111111", [(1, 2), (-4, 0.5), (0, 0)]),
            new("Coupe", "#222222", []),
            new("user's taste", "#e53935", [(2, -3)], Size: 3, Emphasis: true),
        };

        var cut = Render<ScatterPlot>(p => p.Add(c => c.Series, groups));

        var paths = cut.FindAll("[data-testid=series]");
        Assert.Equal(["Suv", "user's taste"], paths.Select(p => p.GetAttribute("data-name")));
        Assert.Equal("M1 -2h0M-4 -0.5h0M0 0h0", paths[0].GetAttribute("d"));
        Assert.Equal("M2 3h0", paths[1].GetAttribute("d"));
        Assert.Equal("#e53935", paths[1].GetAttribute("stroke"));
        // the square drawn holds the farthest point (4 from the centre) with a 5 % margin
        Assert.Equal(4.2, cut.Instance.Extent, 9);
        Assert.Equal("-4.2 -4.2 8.4 8.4", cut.Find("svg").GetAttribute("viewBox"));
        // the emphasised dot is drawn bigger: 3 hundredths of the half-width against the default 1.2
        Assert.Equal("0.126", paths[1].GetAttribute("stroke-width"));
        Assert.Equal(["Suv 3", "user's taste 1"], cut.FindAll("[data-testid=legend]").Select(l => string.Join(" ", l.TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))));
    }

    [Fact]
    public void An_empty_scatter_plot_draws_only_its_axes()
    {
        var cut = Render<ScatterPlot>(p => p.Add(c => c.Series, new List<ScatterPlot.Group>()));
        Assert.Empty(cut.FindAll("[data-testid=series]"));
        Assert.Equal(2, cut.FindAll("line").Count);
        Assert.Equal(1, cut.Instance.Extent);
    }
}
