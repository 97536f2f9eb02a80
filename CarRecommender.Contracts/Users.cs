namespace CarRecommender.Contracts;

/// <summary>A row of the admin user list (<c>GET /api/admin/users</c>).</summary>
public sealed record UserSummaryDto(long Id, string Email, string DisplayName, string Role, string? City, int InteractionCount, bool HasContentVector,
    DateTimeOffset? VectorsUpdatedAt = null);

/// <summary>A page of users (page numbers from 1) with the exact count of matches.</summary>
public sealed record UserPageDto(IReadOnlyList<UserSummaryDto> Items, int Page, int PageSize, long Total);

/// <summary>
/// One user as the console inspects them: their vectors (content, 28 labelled dimensions; latent, the ALS factors) and
/// how many events of each type they sent.
/// </summary>
public sealed record AdminUserDetailDto(long Id, string Email, string DisplayName, string Role, string? City, int InteractionCount,
    DateTimeOffset? VectorsUpdatedAt, DateTimeOffset CreatedAt, float[]? ContentVector, float[]? LatentVector, IReadOnlyDictionary<string, long> CountsByType);

/// <summary>A user's events of one type on one day (UTC).</summary>
public sealed record TimelineDayDto(DateOnly Day, string Type, long Events);

/// <summary>One of a user's events, with the listing it concerned.</summary>
public sealed record UserInteractionDto(DateTimeOffset OccurredAt, string Type, long ListingId, string Listing, Guid? RecommendationId);

/// <summary>
/// The caller's standing right now, read from the database (<c>GET /api/auth/session</c>): the console re-checks its
/// operators with it, so a revoked or locked operator's session ends at once although their token has hours left.
/// </summary>
public sealed record SessionDto(long UserId, string Role, bool Locked);
