using CarRecommender.Core.Features;

namespace CarRecommender.Core.Domain;

/// <summary>Dimensions of the vector columns.</summary>
public static class VectorSizes
{
    public const int Content = ContentEncoder.Dimensions;
    /// <summary>Collaborative factors per user and listing (ALS rank).</summary>
    public const int Latent = 64;
}
