using Pgvector;

namespace CarRecommender.Core.Domain;

/// <summary>A marketplace user and the preference vectors the pipelines learn for them.</summary>
public sealed class User
{
    public long Id { get; set; }
    public required string Email { get; set; }
    public required string DisplayName { get; set; }
    public UserRole Role { get; set; }
    public string? City { get; set; }
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Time-decayed, type-weighted mean of the content vectors of listings the user interacted with.</summary>
    public Vector? ContentVector { get; set; }
    /// <summary>Running weighted sum behind <see cref="ContentVector"/> (so each event updates it incrementally).</summary>
    public Vector? ContentSum { get; set; }
    public double ContentWeight { get; set; }
    /// <summary>The time <see cref="ContentSum"/> and <see cref="ContentWeight"/> are decayed to.</summary>
    public DateTimeOffset? ContentAsOf { get; set; }
    /// <summary>Collaborative user factors (from ALS, folded in per event).</summary>
    public Vector? LatentVector { get; set; }
    public int InteractionCount { get; set; }
    /// <summary>ASP.NET Core Identity's password hash (PBKDF2), for operators; marketplace users sign in through their own identity.</summary>
    public string? PasswordHash { get; set; }
    /// <summary>Failed sign-ins in a row; at the limit the account is locked until <see cref="LockedUntil"/>.</summary>
    public int FailedSignIns { get; set; }
    public DateTimeOffset? LockedUntil { get; set; }
    public DateTimeOffset? VectorsUpdatedAt { get; set; }
    /// <summary>The marketplace identity provider that vouches for the user (a JWT's <c>iss</c>); null for local users.</summary>
    public string? ExternalIssuer { get; set; }
    /// <summary>The user's <c>sub</c> at <see cref="ExternalIssuer"/>: the key a provisioned user is found by.</summary>
    public string? ExternalSubject { get; set; }
}
