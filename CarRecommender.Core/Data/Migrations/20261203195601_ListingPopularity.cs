using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ListingPopularity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The counters and trending key move to a table of their own: updated for nearly every event, on listings
            // they were never HOT updates (the trend key is indexed) and each one inserted into all of listings' indexes.
            migrationBuilder.CreateTable(
                name: "listing_popularity",
                columns: table => new
                {
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    car_model = table.Column<string>(type: "character varying(101)", maxLength: 101, nullable: false),
                    view_count = table.Column<int>(type: "integer", nullable: false),
                    save_count = table.Column<int>(type: "integer", nullable: false),
                    contact_count = table.Column<int>(type: "integer", nullable: false),
                    trend_key = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_listing_popularity", x => x.listing_id);
                    table.ForeignKey(
                        name: "fk_listing_popularity_listings_listing_id",
                        column: x => x.listing_id,
                        principalTable: "listings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.Sql("""
                INSERT INTO listing_popularity (listing_id, car_model, view_count, save_count, contact_count, trend_key)
                SELECT id, car_model, view_count, save_count, contact_count, trend_key FROM listings;
                """);

            migrationBuilder.CreateIndex(
                name: "ix_listing_popularity_car_model_trend_key_listing_id",
                table: "listing_popularity",
                columns: new[] { "car_model", "trend_key", "listing_id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_listing_popularity_trend_key_listing_id",
                table: "listing_popularity",
                columns: new[] { "trend_key", "listing_id" },
                descending: new bool[0]);

            migrationBuilder.DropIndex(
                name: "ix_listings_status_car_model_trend_key",
                table: "listings");

            migrationBuilder.DropIndex(
                name: "ix_listings_status_trend_key",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "contact_count",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "save_count",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "trend_key",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "view_count",
                table: "listings");

            // Every listing has its row, whoever adds it (COPY, the importer's INSERT, SQL by hand): one INSERT per
            // statement from its transition table; and the row follows the listing's car model when an import renames it.
            migrationBuilder.Sql("""
                CREATE FUNCTION listing_popularity_added() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO listing_popularity (listing_id, car_model, view_count, save_count, contact_count, trend_key)
                    SELECT id, car_model, 0, 0, 0, 0 FROM added_listings
                    ON CONFLICT (listing_id) DO NOTHING;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER listings_popularity_added AFTER INSERT ON listings
                    REFERENCING NEW TABLE AS added_listings FOR EACH STATEMENT EXECUTE FUNCTION listing_popularity_added();

                CREATE FUNCTION listing_popularity_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE listing_popularity SET car_model = NEW.car_model WHERE listing_id = NEW.id;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER listings_popularity_renamed AFTER UPDATE OF make, model ON listings
                    FOR EACH ROW WHEN (OLD.car_model IS DISTINCT FROM NEW.car_model) EXECUTE FUNCTION listing_popularity_renamed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER listings_popularity_renamed ON listings;
                DROP TRIGGER listings_popularity_added ON listings;
                DROP FUNCTION listing_popularity_renamed();
                DROP FUNCTION listing_popularity_added();
                """);

            migrationBuilder.AddColumn<int>(
                name: "contact_count",
                table: "listings",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "save_count",
                table: "listings",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "trend_key",
                table: "listings",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<int>(
                name: "view_count",
                table: "listings",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_car_model_trend_key",
                table: "listings",
                columns: new[] { "status", "car_model", "trend_key" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_trend_key",
                table: "listings",
                columns: new[] { "status", "trend_key" },
                descending: new[] { false, true });

            migrationBuilder.Sql("""
                UPDATE listings l SET view_count = p.view_count, save_count = p.save_count, contact_count = p.contact_count, trend_key = p.trend_key
                FROM listing_popularity p WHERE p.listing_id = l.id;
                """);

            migrationBuilder.DropTable(
                name: "listing_popularity");
        }
    }
}
