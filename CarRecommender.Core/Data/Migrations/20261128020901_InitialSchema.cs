using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using Pgvector;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:vector", ",,");

            migrationBuilder.CreateTable(
                name: "listings",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    make = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    model = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    year = table.Column<int>(type: "integer", nullable: false),
                    price = table.Column<int>(type: "integer", nullable: false),
                    mileage_km = table.Column<int>(type: "integer", nullable: false),
                    fuel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    transmission = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    body_type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    power_kw = table.Column<int>(type: "integer", nullable: false),
                    colour = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    seller_type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    city = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    latitude = table.Column<double>(type: "double precision", nullable: false),
                    longitude = table.Column<double>(type: "double precision", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    content_vector = table.Column<Vector>(type: "vector(28)", nullable: true),
                    encoder_version = table.Column<short>(type: "smallint", nullable: false),
                    latent_vector = table.Column<Vector>(type: "vector(64)", nullable: true),
                    view_count = table.Column<int>(type: "integer", nullable: false),
                    save_count = table.Column<int>(type: "integer", nullable: false),
                    contact_count = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_listings", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    display_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    city = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: true),
                    latitude = table.Column<double>(type: "double precision", nullable: true),
                    longitude = table.Column<double>(type: "double precision", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    content_vector = table.Column<Vector>(type: "vector(28)", nullable: true),
                    content_sum = table.Column<Vector>(type: "vector(28)", nullable: true),
                    content_weight = table.Column<double>(type: "double precision", nullable: false),
                    latent_vector = table.Column<Vector>(type: "vector(64)", nullable: true),
                    interaction_count = table.Column<int>(type: "integer", nullable: false),
                    vectors_updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "interactions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<long>(type: "bigint", nullable: false),
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recommendation_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_interactions", x => x.id);
                    table.ForeignKey(
                        name: "fk_interactions_listings_listing_id",
                        column: x => x.listing_id,
                        principalTable: "listings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_interactions_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_interactions_event_id",
                table: "interactions",
                column: "event_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_interactions_listing_id_occurred_at",
                table: "interactions",
                columns: new[] { "listing_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_interactions_occurred_at",
                table: "interactions",
                column: "occurred_at");

            migrationBuilder.CreateIndex(
                name: "ix_interactions_user_id_occurred_at",
                table: "interactions",
                columns: new[] { "user_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_listings_content_vector",
                table: "listings",
                column: "content_vector")
                .Annotation("Npgsql:IndexMethod", "hnsw")
                .Annotation("Npgsql:IndexOperators", new[] { "vector_cosine_ops" })
                .Annotation("Npgsql:StorageParameter:ef_construction", 48)
                .Annotation("Npgsql:StorageParameter:m", 12);

            migrationBuilder.CreateIndex(
                name: "ix_listings_latent_vector",
                table: "listings",
                column: "latent_vector")
                .Annotation("Npgsql:IndexMethod", "hnsw")
                .Annotation("Npgsql:IndexOperators", new[] { "vector_ip_ops" })
                .Annotation("Npgsql:StorageParameter:ef_construction", 64)
                .Annotation("Npgsql:StorageParameter:m", 16);

            migrationBuilder.CreateIndex(
                name: "ix_listings_latitude_longitude",
                table: "listings",
                columns: new[] { "latitude", "longitude" });

            migrationBuilder.CreateIndex(
                name: "ix_listings_make_model",
                table: "listings",
                columns: new[] { "make", "model" });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_created_at",
                table: "listings",
                columns: new[] { "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_mileage_km",
                table: "listings",
                columns: new[] { "status", "mileage_km" });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_price",
                table: "listings",
                columns: new[] { "status", "price" });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_year",
                table: "listings",
                columns: new[] { "status", "year" });

            migrationBuilder.CreateIndex(
                name: "ix_users_email",
                table: "users",
                column: "email",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "interactions");

            migrationBuilder.DropTable(
                name: "listings");

            migrationBuilder.DropTable(
                name: "users");
        }
    }
}
