using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Interactions;

/// <summary>Writes user-activity events: the interaction row and the listing's counter, in one transaction.</summary>
public sealed class InteractionRecorder(CarRecommenderDb db, TimeProvider time)
{
    public async Task RecordAsync(long userId, long listingId, InteractionType type, Guid? recommendationId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // Aspire's retrying execution strategy retries the whole unit, so the transaction lives inside it.
        await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            db.Interactions.Add(new Interaction
            {
                EventId = Guid.CreateVersion7(now),
                UserId = userId,
                ListingId = listingId,
                Type = type,
                OccurredAt = now,
                RecordedAt = now,
                RecommendationId = recommendationId,
            });
            await db.SaveChangesAsync(ct);
            var listings = db.Listings.Where(l => l.Id == listingId);
            _ = type switch
            {
                InteractionType.View => await listings.ExecuteUpdateAsync(s => s.SetProperty(l => l.ViewCount, l => l.ViewCount + 1), ct),
                InteractionType.Save => await listings.ExecuteUpdateAsync(s => s.SetProperty(l => l.SaveCount, l => l.SaveCount + 1), ct),
                InteractionType.Contact => await listings.ExecuteUpdateAsync(s => s.SetProperty(l => l.ContactCount, l => l.ContactCount + 1), ct),
                _ => 0,
            };
            await db.Users.Where(u => u.Id == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.InteractionCount, u => u.InteractionCount + 1), ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        });
    }
}
