using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Pgvector;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ListingFactorsTable : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "snapshot_at",
                table: "model_versions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "listing_factors",
                columns: table => new
                {
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    factors = table.Column<Vector>(type: "vector(64)", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_listing_factors", x => x.listing_id);
                    table.ForeignKey(
                        name: "fk_listing_factors_listings_listing_id",
                        column: x => x.listing_id,
                        principalTable: "listings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            // the serving model's factors move from listings to their own table (AlsTrainer swaps it at each retrain)
            migrationBuilder.Sql("INSERT INTO listing_factors (listing_id, factors) SELECT id, latent_vector FROM listings WHERE latent_vector IS NOT NULL");

            migrationBuilder.DropIndex(
                name: "ix_listings_latent_vector",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "latent_vector",
                table: "listings");

            migrationBuilder.CreateIndex(
                name: "ix_interactions_recorded_at",
                table: "interactions",
                column: "recorded_at");

            migrationBuilder.CreateIndex(
                name: "ix_listing_factors_factors",
                table: "listing_factors",
                column: "factors")
                .Annotation("Npgsql:IndexMethod", "hnsw")
                .Annotation("Npgsql:IndexOperators", new[] { "vector_ip_ops" })
                .Annotation("Npgsql:StorageParameter:ef_construction", 64)
                .Annotation("Npgsql:StorageParameter:m", 16);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_interactions_recorded_at",
                table: "interactions");

            migrationBuilder.DropColumn(
                name: "snapshot_at",
                table: "model_versions");

            migrationBuilder.AddColumn<Vector>(
                name: "latent_vector",
                table: "listings",
                type: "vector(64)",
                nullable: true);

            migrationBuilder.Sql("UPDATE listings l SET latent_vector = f.factors FROM listing_factors f WHERE f.listing_id = l.id");

            migrationBuilder.DropTable(
                name: "listing_factors");

            migrationBuilder.CreateIndex(
                name: "ix_listings_latent_vector",
                table: "listings",
                column: "latent_vector")
                .Annotation("Npgsql:IndexMethod", "hnsw")
                .Annotation("Npgsql:IndexOperators", new[] { "vector_ip_ops" })
                .Annotation("Npgsql:StorageParameter:ef_construction", 64)
                .Annotation("Npgsql:StorageParameter:m", 16);
        }
    }
}
