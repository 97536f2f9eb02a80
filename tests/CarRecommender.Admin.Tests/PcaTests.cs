using CarRecommender.Admin.Vectors;

namespace CarRecommender.Admin.Tests;

public sealed class PcaTests
{
    [Fact]
    public void Points_on_a_line_project_onto_the_first_component_in_order()
    {
        // 3-D points along (1, 2, 2)/3 with a tiny perpendicular wobble
        var direction = new[] { 1f / 3, 2f / 3, 2f / 3 };
        var vectors = Enumerable.Range(0, 50)
            .Select(i => new[] { direction[0] * i + (i % 2 == 0 ? 0.01f : -0.01f), direction[1] * i, direction[2] * i })
            .ToList();

        var pca = Pca.Fit(vectors);

        Assert.True(pca.ExplainedVariance > 0.999, $"explained {pca.ExplainedVariance}");
        var xs = vectors.Select(v => pca.Project(v).X).ToList();
        // the line's order is kept along X (either direction), and consecutive points are one unit apart
        var steps = xs.Zip(xs.Skip(1), (a, b) => Math.Abs(b - a)).ToList();
        Assert.All(steps, s => Assert.InRange(s, 0.98, 1.02));
        Assert.All(vectors, v => Assert.True(Math.Abs(pca.Project(v).Y) < 0.05));
    }

    [Fact]
    public void The_mean_projects_to_the_origin_and_the_sign_is_stable()
    {
        var rng = new Random(3);
        var vectors = Enumerable.Range(0, 200).Select(_ => new[] { (float)rng.NextDouble() * 4, (float)rng.NextDouble(), (float)rng.NextDouble() * 0.1f }).ToList();
        var mean = Enumerable.Range(0, 3).Select(j => vectors.Average(v => v[j])).Select(x => (float)x).ToArray();

        var first = Pca.Fit(vectors);
        var again = Pca.Fit(vectors.AsEnumerable().Reverse().ToList());

        var (x, y) = first.Project(mean);
        Assert.Equal(0, x, 4);
        Assert.Equal(0, y, 4);
        Assert.Equal(first.Project(vectors[7]).X, again.Project(vectors[7]).X, 4);
        Assert.Equal(first.Project(vectors[7]).Y, again.Project(vectors[7]).Y, 4);
    }

    [Fact]
    public void Fewer_than_two_vectors_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Pca.Fit([new[] { 1f, 2f }]));
    }
}
