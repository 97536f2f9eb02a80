using CarRecommender.Core.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace CarRecommender.Core.Data;

/// <summary>The product's database: catalogue, users, interactions and the vectors the pipelines learn.</summary>
public sealed class CarRecommenderDb(DbContextOptions<CarRecommenderDb> options) : DbContext(options)
{
    /// <summary>The Aspire connection name every service uses for this database.</summary>
    public const string ConnectionName = "carrecommender";

    public DbSet<Listing> Listings => Set<Listing>();
    public DbSet<User> Users => Set<User>();
    public DbSet<Interaction> Interactions => Set<Interaction>();
    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();
    public DbSet<ProcessedEvent> ProcessedEvents => Set<ProcessedEvent>();
    public DbSet<ModelVersion> ModelVersions => Set<ModelVersion>();
    public DbSet<RecommendationList> Recommendations => Set<RecommendationList>();
    public DbSet<CarModelLinkRow> CarModelLinks => Set<CarModelLinkRow>();
    public DbSet<ListingFactors> ListingFactors => Set<ListingFactors>();
    public DbSet<ListingPopularity> ListingPopularity => Set<ListingPopularity>();
    public DbSet<PriceChange> PriceHistory => Set<PriceChange>();
    public DbSet<ListingChange> ListingChanges => Set<ListingChange>();
    public DbSet<ImportRun> Imports => Set<ImportRun>();
    public DbSet<ImportRejectionRow> ImportRejections => Set<ImportRejectionRow>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<VisitorSession> Sessions => Set<VisitorSession>();
    public DbSet<SessionEvent> SessionEvents => Set<SessionEvent>();
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<ServedList> ServedLists => Set<ServedList>();
    public DbSet<PriceModelVersion> PriceModels => Set<PriceModelVersion>();
    public DbSet<ListingPrice> ListingPrices => Set<ListingPrice>();
    public DbSet<Impression> Impressions => Set<Impression>();
    public DbSet<RankerModelRecord> RankerModels => Set<RankerModelRecord>();

    /// <summary>The options every service and tool uses: pgvector types and snake_case names.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, n => n.UseVector()).UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("vector");
        ConfigureListing(modelBuilder, modelBuilder.Entity<Listing>());
        ConfigureUser(modelBuilder.Entity<User>());
        ConfigureInteraction(modelBuilder.Entity<Interaction>());
        ConfigurePipelineTables(modelBuilder);
        ConfigureMarketplace(modelBuilder);
        ConfigureMarketPrices(modelBuilder);
        ConfigureRanking(modelBuilder);
    }

    private static void ConfigureMarketPrices(ModelBuilder modelBuilder)
    {
        var models = modelBuilder.Entity<PriceModelVersion>();
        models.ToTable("price_models");
        models.Property(x => x.Id).UseIdentityByDefaultColumn();
        models.Property(x => x.Market).HasMaxLength(3);
        models.Property(x => x.Trigger).HasMaxLength(32);
        models.Property(x => x.Metrics).HasColumnType("jsonb");
        models.HasIndex(x => new { x.Market, x.Version }).IsUnique();
        // one active model per market, held by the database (a switch deactivates the old one first, in its transaction)
        models.HasIndex(x => x.Market).IsUnique().HasFilter("active").HasDatabaseName("ix_price_models_one_active_per_market");

        var prices = modelBuilder.Entity<ListingPrice>();
        prices.ToTable("listing_prices");
        prices.HasKey(x => x.ListingId);
        prices.Property(x => x.ListingId).ValueGeneratedNever();
        prices.Property(x => x.Currency).HasMaxLength(3);
        // lower-case names, as the API spells ratings (great, good, fair, high, overpriced)
        prices.Property(x => x.Rating).HasMaxLength(16)
            .HasConversion(r => r.ToString().ToLowerInvariant(), s => Enum.Parse<Pricing.DealRating>(s, true));
        prices.HasOne<Listing>().WithOne(l => l.MarketPrice).HasForeignKey<ListingPrice>(x => x.ListingId).OnDelete(DeleteBehavior.Cascade);
        prices.HasOne<PriceModelVersion>().WithMany().HasForeignKey(x => x.ModelId).OnDelete(DeleteBehavior.Restrict);
        // a switch replaces one market's rows; deal= filters read the deviation
        prices.HasIndex(x => x.Currency);
        prices.HasIndex(x => x.ModelId);
    }

    private static void ConfigureRanking(ModelBuilder modelBuilder)
    {
        var impressions = modelBuilder.Entity<Impression>();
        impressions.ToTable("impressions");
        // one per list and listing: a client reporting the same impression twice stores it once
        impressions.HasKey(x => new { x.ListId, x.ListingId });
        impressions.HasOne<ServedList>().WithMany().HasForeignKey(x => x.ListId).OnDelete(DeleteBehavior.Cascade);
        impressions.HasIndex(x => x.RecordedAt);

        var rankers = modelBuilder.Entity<RankerModelRecord>();
        rankers.ToTable("ranker_models");
        rankers.Property(x => x.Id).UseIdentityByDefaultColumn();
        rankers.Property(x => x.Importances).HasColumnType("jsonb");
        rankers.Property(x => x.Comparison).HasColumnType("jsonb");
        rankers.HasIndex(x => x.TrainedAt);
        // at most one serving model, held by the database
        rankers.HasIndex(x => x.Serving).IsUnique().HasFilter("serving").HasDatabaseName("ix_ranker_models_one_serving");
    }

    private static void ConfigureMarketplace(ModelBuilder modelBuilder)
    {
        var sessions = modelBuilder.Entity<VisitorSession>();
        sessions.ToTable("sessions");
        sessions.Property(x => x.Id).ValueGeneratedNever();
        sessions.HasIndex(x => x.LastSeenAt);

        var events = modelBuilder.Entity<SessionEvent>();
        events.ToTable("session_events");
        events.Property(x => x.Id).UseIdentityByDefaultColumn();
        events.Property(x => x.Type).HasConversion<string>().HasMaxLength(16);
        events.HasIndex(x => x.EventId).IsUnique();
        events.HasIndex(x => new { x.SessionId, x.OccurredAt });
        events.HasIndex(x => x.RecommendationId).HasFilter("recommendation_id IS NOT NULL");
        events.HasOne<VisitorSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        events.HasOne<Listing>().WithMany().HasForeignKey(x => x.ListingId).OnDelete(DeleteBehavior.Cascade);

        var experiments = modelBuilder.Entity<Experiment>();
        experiments.ToTable("experiments");
        experiments.Property(x => x.Id).UseIdentityByDefaultColumn();
        experiments.Property(x => x.Name).HasMaxLength(60);
        experiments.Property(x => x.Description).HasMaxLength(500);
        experiments.Property(x => x.State).HasMaxLength(16);
        experiments.Property(x => x.CreatedBy).HasMaxLength(254);
        experiments.Property(x => x.Variants).HasColumnType("jsonb");
        experiments.HasIndex(x => x.Name).IsUnique();
        // one running experiment at a time, held by the database (two variants of two experiments would fight over one list)
        experiments.HasIndex(x => x.State).IsUnique().HasFilter("state = 'running'").HasDatabaseName("ix_experiments_one_running");

        var served = modelBuilder.Entity<ServedList>();
        served.ToTable("served_lists");
        served.Property(x => x.Id).ValueGeneratedNever();
        served.Property(x => x.Variant).HasMaxLength(60);
        served.Property(x => x.Mode).HasMaxLength(16);
        served.HasIndex(x => new { x.ExperimentId, x.Variant }).HasFilter("experiment_id IS NOT NULL");
        served.HasIndex(x => x.ServedAt);
    }

    private static void ConfigurePipelineTables(ModelBuilder modelBuilder)
    {
        var outbox = modelBuilder.Entity<OutboxMessage>();
        outbox.ToTable("outbox");
        outbox.Property(x => x.Id).UseIdentityByDefaultColumn();
        outbox.Property(x => x.TraceParent).HasMaxLength(64);
        outbox.Property(x => x.TraceState).HasMaxLength(512);
        outbox.HasOne<Interaction>().WithMany().HasForeignKey(x => x.InteractionId).OnDelete(DeleteBehavior.Cascade);
        outbox.HasIndex(x => x.InteractionId);

        var processed = modelBuilder.Entity<ProcessedEvent>();
        processed.ToTable("processed_events");
        processed.Property(x => x.Pipeline).HasMaxLength(32);
        processed.HasKey(x => new { x.Pipeline, x.EventId });
        // the pruner deletes rows past the redelivery horizon by age (ProcessedEventLog)
        processed.HasIndex(x => x.ProcessedAt);

        var attempts = modelBuilder.Entity<DeliveryAttempt>();
        attempts.ToTable("delivery_attempts");
        attempts.Property(x => x.Pipeline).HasMaxLength(32);
        attempts.HasKey(x => new { x.Pipeline, x.EventId });

        var deadLetters = modelBuilder.Entity<DeadLetterRecord>();
        deadLetters.ToTable("dead_letters");
        deadLetters.Property(x => x.Id).UseIdentityByDefaultColumn();
        deadLetters.Property(x => x.Pipeline).HasMaxLength(32);
        deadLetters.Property(x => x.MessageKey).HasMaxLength(200);
        deadLetters.Property(x => x.MessageId).HasMaxLength(200);
        deadLetters.Property(x => x.Headers).HasColumnType("jsonb");
        deadLetters.HasIndex(x => new { x.Pipeline, x.MessageKey }).IsUnique();
        deadLetters.HasIndex(x => new { x.Pipeline, x.LastDeadLetteredAt });

        var models = modelBuilder.Entity<ModelVersion>();
        models.ToTable("model_versions");
        models.Property(x => x.Id).UseIdentityByDefaultColumn();
        models.Property(x => x.Trigger).HasMaxLength(32);
        models.Property(x => x.Confidence).HasMaxLength(16).HasDefaultValue("Linear");
        models.Property(x => x.Search).HasColumnType("jsonb");
        models.HasIndex(x => x.CreatedAt);

        var links = modelBuilder.Entity<CarModelLinkRow>();
        links.ToTable("car_model_links");
        links.HasKey(x => new { x.ModelVersionId, x.CarModel, x.Related });
        links.Property(x => x.CarModel).HasMaxLength(101);
        links.Property(x => x.Related).HasMaxLength(101);
        links.HasOne<ModelVersion>().WithMany().HasForeignKey(x => x.ModelVersionId).OnDelete(DeleteBehavior.Cascade);

        var recommendations = modelBuilder.Entity<RecommendationList>();
        recommendations.ToTable("recommendations");
        recommendations.HasKey(x => x.UserId);
        recommendations.HasOne<User>().WithOne().HasForeignKey<RecommendationList>(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        // "which lists hold this listing", so a sold listing is dropped from every list
        recommendations.HasIndex(x => x.ListingIds).HasMethod("gin");
        recommendations.Property(x => x.Settings).HasMaxLength(64).HasDefaultValue("");
        recommendations.Property(x => x.Notes).HasDefaultValueSql("ARRAY[]::text[]");
    }

    private static void ConfigureListing(ModelBuilder modelBuilder, EntityTypeBuilder<Listing> e)
    {
        e.ToTable("listings");
        e.Property(x => x.Id).UseIdentityByDefaultColumn();
        e.Property(x => x.Make).HasMaxLength(40);
        e.Property(x => x.Model).HasMaxLength(60);
        e.Property(x => x.CarModel).HasMaxLength(101).HasComputedColumnSql("make || ' ' || model", stored: true);
        e.Property(x => x.Colour).HasMaxLength(30);
        e.Property(x => x.City).HasMaxLength(60);
        e.Property(x => x.Fuel).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Transmission).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.BodyType).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.SellerType).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.ContentVector).HasColumnType($"vector({VectorSizes.Content})");
        e.Property(x => x.Currency).HasMaxLength(3).HasDefaultValue("EUR");
        e.Property(x => x.Source).HasMaxLength(60).HasDefaultValue("seed");
        e.Property(x => x.ExternalId).HasMaxLength(120);
        e.Property(x => x.Attributes).HasColumnType("jsonb");
        e.Property(x => x.SellerId).HasMaxLength(120);
        e.HasIndex(x => x.SellerId).HasFilter("seller_id IS NOT NULL");
        // the promoted source and the stored lists' staleness check read only the (few) promoted listings
        e.HasIndex(x => x.PromotedUntil).HasFilter("promoted_until IS NOT NULL");
        e.HasIndex(x => x.PromotedAt).HasFilter("promoted_at IS NOT NULL");
        // a feed's listings by their id in it: re-imports update in place, --sync marks the absent ones sold
        e.HasIndex(x => new { x.Source, x.ExternalId }).IsUnique().HasFilter("external_id IS NOT NULL");

        // Filters of GET /api/listings: the status goes first, since almost every query is on active listings.
        e.HasIndex(x => new { x.Status, x.Price });
        e.HasIndex(x => new { x.Status, x.Year });
        e.HasIndex(x => new { x.Status, x.MileageKm });
        e.HasIndex(x => new { x.Status, x.CreatedAt });
        e.HasIndex(x => new { x.Make, x.Model });
        e.HasIndex(x => new { x.Latitude, x.Longitude });

        // Counters and trending key in a table of their own (ListingPopularity); rows added and kept on the listing's car
        // model by the triggers of the migration that made it.
        var popularity = modelBuilder.Entity<ListingPopularity>();
        popularity.ToTable("listing_popularity");
        popularity.HasKey(x => x.ListingId);
        popularity.Property(x => x.ListingId).ValueGeneratedNever();
        popularity.Property(x => x.CarModel).HasMaxLength(101);
        popularity.HasOne<Listing>().WithOne(l => l.Popularity).HasForeignKey<ListingPopularity>(x => x.ListingId).OnDelete(DeleteBehavior.Cascade);
        // trending candidates: the hottest listings first (the key needs no decaying, see Ranking/Trending), newest on ties
        popularity.HasIndex(x => new { x.TrendKey, x.ListingId }).IsDescending(true, true);
        // car-model candidates: the hottest listings of the models the car-model EASE proposes
        popularity.HasIndex(x => new { x.CarModel, x.TrendKey, x.ListingId }).IsDescending(false, true, true);
        // HNSW, tuned for the 28-d content vectors (eng/bench.sh seed measures recall against exact search).
        e.HasIndex(x => x.ContentVector).HasMethod("hnsw").HasOperators("vector_cosine_ops")
            .HasStorageParameter("m", 16).HasStorageParameter("ef_construction", 64);

        // The serving model's item factors, in a table of their own: a retrain builds the next one beside it (COPY, then
        // its indexes) and swaps it in by rename, so it never rewrites listings nor locks them (AlsTrainer). No foreign key
        // to listings, on purpose: dropping the old table would then drop its constraint's triggers on listings, which
        // takes an ACCESS EXCLUSIVE lock on listings inside the switch (every read waits, and readers that already hold
        // listings deadlock with it). Listings are never deleted (sold ones change status); every reader joins listings,
        // and the next retrain's table holds only listings that exist.
        var prices = modelBuilder.Entity<PriceChange>();
        prices.ToTable("price_history");
        prices.Property(x => x.Id).UseIdentityByDefaultColumn();
        prices.Property(x => x.Currency).HasMaxLength(3);
        prices.HasOne<Listing>().WithMany().HasForeignKey(x => x.ListingId).OnDelete(DeleteBehavior.Cascade);
        prices.HasIndex(x => new { x.ListingId, x.ChangedAt });

        var changes = modelBuilder.Entity<ListingChange>();
        changes.ToTable("listing_changes");
        changes.Property(x => x.Id).UseIdentityByDefaultColumn();
        changes.Property(x => x.Kind).HasMaxLength(16);

        var imports = modelBuilder.Entity<ImportRun>();
        imports.ToTable("imports");
        imports.Property(x => x.Id).UseIdentityByDefaultColumn();
        imports.Property(x => x.Source).HasMaxLength(60);
        imports.Property(x => x.FileName).HasMaxLength(260);
        imports.Property(x => x.StartedBy).HasMaxLength(200);
        imports.Property(x => x.Report).HasColumnType("jsonb");
        imports.HasIndex(x => x.StartedAt);

        var rejections = modelBuilder.Entity<ImportRejectionRow>();
        rejections.ToTable("import_rejections");
        rejections.HasKey(x => new { x.ImportId, x.Line });
        rejections.HasOne<ImportRun>().WithMany().HasForeignKey(x => x.ImportId).OnDelete(DeleteBehavior.Cascade);

        var jobs = modelBuilder.Entity<Job>();
        jobs.ToTable("jobs");
        jobs.Property(x => x.Id).UseIdentityByDefaultColumn();
        jobs.Property(x => x.Kind).HasMaxLength(16);
        jobs.Property(x => x.State).HasMaxLength(16);
        jobs.Property(x => x.Stage).HasMaxLength(200);
        jobs.Property(x => x.RequestedBy).HasMaxLength(254);
        jobs.Property(x => x.ResultJson).HasColumnType("jsonb");
        jobs.HasIndex(x => new { x.Kind, x.Id });
        // one queued or running job of a kind at a time, held by the database itself (two operators clicking at once)
        jobs.HasIndex(x => x.Kind).IsUnique().HasFilter("state IN ('queued', 'running')").HasDatabaseName("ix_jobs_one_active_per_kind");

        var factors = modelBuilder.Entity<ListingFactors>();
        factors.ToTable("listing_factors");
        factors.HasKey(x => x.ListingId);
        factors.Property(x => x.ListingId).ValueGeneratedNever();
        factors.Property(x => x.Factors).HasColumnType($"vector({VectorSizes.Latent})");
        factors.HasIndex(x => x.Factors).HasMethod("hnsw").HasOperators("vector_ip_ops")
            .HasStorageParameter("m", 16).HasStorageParameter("ef_construction", 64);
    }

    private static void ConfigureUser(EntityTypeBuilder<User> e)
    {
        e.ToTable("users");
        e.Property(x => x.Id).UseIdentityByDefaultColumn();
        e.Property(x => x.Email).HasMaxLength(254);
        e.Property(x => x.DisplayName).HasMaxLength(100);
        e.Property(x => x.City).HasMaxLength(60);
        e.Property(x => x.Role).HasConversion<string>().HasMaxLength(16);
        e.Property(x => x.PasswordHash).HasMaxLength(200);
        e.Property(x => x.ContentVector).HasColumnType($"vector({VectorSizes.Content})");
        e.Property(x => x.ContentSum).HasColumnType($"vector({VectorSizes.Content})");
        e.Property(x => x.LatentVector).HasColumnType($"vector({VectorSizes.Latent})");
        e.HasIndex(x => x.Email).IsUnique();
        e.Property(x => x.ExternalIssuer).HasMaxLength(200);
        e.Property(x => x.ExternalSubject).HasMaxLength(200);
        e.HasIndex(x => new { x.ExternalIssuer, x.ExternalSubject }).IsUnique().HasFilter("external_issuer IS NOT NULL");
    }

    private static void ConfigureInteraction(EntityTypeBuilder<Interaction> e)
    {
        e.ToTable("interactions");
        e.Property(x => x.Id).UseIdentityByDefaultColumn();
        e.Property(x => x.Type).HasConversion<string>().HasMaxLength(16);
        e.HasIndex(x => x.EventId).IsUnique();
        e.HasIndex(x => new { x.UserId, x.OccurredAt });
        e.HasIndex(x => new { x.ListingId, x.OccurredAt });
        e.HasIndex(x => x.OccurredAt);
        // the retrain folds in the users with interactions recorded after its snapshot; the scheduler asks whether any arrived
        e.HasIndex(x => x.RecordedAt);
        // an experiment's clicks and contacts: the events that name the list they came from
        e.HasIndex(x => x.RecommendationId).HasFilter("recommendation_id IS NOT NULL");
        e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Listing>().WithMany().HasForeignKey(x => x.ListingId).OnDelete(DeleteBehavior.Cascade);
    }
}
