using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class OperatorFeatures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "external_issuer",
                table: "users",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "external_subject",
                table: "users",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "notes",
                table: "recommendations",
                type: "text[]",
                nullable: false,
                defaultValueSql: "ARRAY[]::text[]");

            migrationBuilder.AddColumn<string>(
                name: "settings",
                table: "recommendations",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "promoted_at",
                table: "listings",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "promoted_until",
                table: "listings",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "seller_id",
                table: "listings",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "experiments",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    variants = table.Column<string>(type: "jsonb", nullable: false),
                    created_by = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    stopped_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_experiments", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "served_lists",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<long>(type: "bigint", nullable: true),
                    session_id = table.Column<Guid>(type: "uuid", nullable: true),
                    experiment_id = table.Column<long>(type: "bigint", nullable: true),
                    variant = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: true),
                    mode = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    served_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    listing_ids = table.Column<long[]>(type: "bigint[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_served_lists", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    event_count = table.Column<int>(type: "integer", nullable: false),
                    merged_into_user_id = table.Column<long>(type: "bigint", nullable: true),
                    merged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sessions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "session_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false),
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recommendation_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_session_events", x => x.id);
                    table.ForeignKey(
                        name: "fk_session_events_listings_listing_id",
                        column: x => x.listing_id,
                        principalTable: "listings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_session_events_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_users_external_issuer_external_subject",
                table: "users",
                columns: new[] { "external_issuer", "external_subject" },
                unique: true,
                filter: "external_issuer IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_listings_promoted_at",
                table: "listings",
                column: "promoted_at",
                filter: "promoted_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_listings_promoted_until",
                table: "listings",
                column: "promoted_until",
                filter: "promoted_until IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_listings_seller_id",
                table: "listings",
                column: "seller_id",
                filter: "seller_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_interactions_recommendation_id",
                table: "interactions",
                column: "recommendation_id",
                filter: "recommendation_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_experiments_name",
                table: "experiments",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_experiments_one_running",
                table: "experiments",
                column: "state",
                unique: true,
                filter: "state = 'running'");

            migrationBuilder.CreateIndex(
                name: "ix_served_lists_experiment_id_variant",
                table: "served_lists",
                columns: new[] { "experiment_id", "variant" },
                filter: "experiment_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_served_lists_served_at",
                table: "served_lists",
                column: "served_at");

            migrationBuilder.CreateIndex(
                name: "ix_session_events_event_id",
                table: "session_events",
                column: "event_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_session_events_listing_id",
                table: "session_events",
                column: "listing_id");

            migrationBuilder.CreateIndex(
                name: "ix_session_events_recommendation_id",
                table: "session_events",
                column: "recommendation_id",
                filter: "recommendation_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_session_events_session_id_occurred_at",
                table: "session_events",
                columns: new[] { "session_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sessions_last_seen_at",
                table: "sessions",
                column: "last_seen_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "experiments");

            migrationBuilder.DropTable(
                name: "served_lists");

            migrationBuilder.DropTable(
                name: "session_events");

            migrationBuilder.DropTable(
                name: "sessions");

            migrationBuilder.DropIndex(
                name: "ix_users_external_issuer_external_subject",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_listings_promoted_at",
                table: "listings");

            migrationBuilder.DropIndex(
                name: "ix_listings_promoted_until",
                table: "listings");

            migrationBuilder.DropIndex(
                name: "ix_listings_seller_id",
                table: "listings");

            migrationBuilder.DropIndex(
                name: "ix_interactions_recommendation_id",
                table: "interactions");

            migrationBuilder.DropColumn(
                name: "external_issuer",
                table: "users");

            migrationBuilder.DropColumn(
                name: "external_subject",
                table: "users");

            migrationBuilder.DropColumn(
                name: "notes",
                table: "recommendations");

            migrationBuilder.DropColumn(
                name: "settings",
                table: "recommendations");

            migrationBuilder.DropColumn(
                name: "promoted_at",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "promoted_until",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "seller_id",
                table: "listings");
        }
    }
}
