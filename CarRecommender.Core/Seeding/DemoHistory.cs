using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Seeding;

/// <summary>
/// The seeded catalogue's past: three in four generated users (and the demo user, so the demo starts with a taste)
/// browsed the catalogue for the last <see cref="InteractionGenerator.HistoryDays"/> days with a hidden taste; the
/// rest (and the admin) are new sign-ups with no history, so cold start is visible too.
/// </summary>
public static class DemoHistory
{
    public static bool HasHistory(User user, int index) =>
        user.Role == UserRole.User && (user.Email == CatalogueGenerator.DemoUserEmail || index % 4 != 3);

    /// <summary>A plan for <see cref="CatalogueLoader.LoadAsync"/>; the listings and users are those being loaded, in order.</summary>
    public static HistoryPlan Plan(IReadOnlyList<Listing> listings, IReadOnlyList<User> users, int seed, DateTimeOffset asOf) =>
        (listingIds, userIds) =>
        {
            for (var i = 0; i < listings.Count; i++) listings[i].Id = listingIds[i];
            var generator = new InteractionGenerator(seed, asOf);
            var active = listings.Where(l => l.Status == ListingStatus.Active).ToList();
            var shoppers = generator.Shoppers(active, users.Select((u, i) => (u, i)).Where(x => HasHistory(x.u, x.i)).Select(x => userIds[x.i]));
            return generator.Events(active, shoppers);
        };
}
