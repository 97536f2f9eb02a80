using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class MarketPrices : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "price_models",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    market = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    trained_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    rows = table.Column<int>(type: "integer", nullable: false),
                    training_seconds = table.Column<double>(type: "double precision", nullable: false),
                    trigger = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    metrics = table.Column<string>(type: "jsonb", nullable: false),
                    model = table.Column<byte[]>(type: "bytea", nullable: true),
                    active = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_price_models", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "listing_prices",
                columns: table => new
                {
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    model_id = table.Column<long>(type: "bigint", nullable: false),
                    model_version = table.Column<int>(type: "integer", nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    estimate = table.Column<double>(type: "double precision", nullable: false),
                    low = table.Column<double>(type: "double precision", nullable: false),
                    high = table.Column<double>(type: "double precision", nullable: false),
                    deviation = table.Column<double>(type: "double precision", nullable: false),
                    rating = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    estimated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_listing_prices", x => x.listing_id);
                    table.ForeignKey(
                        name: "fk_listing_prices_listings_listing_id",
                        column: x => x.listing_id,
                        principalTable: "listings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_listing_prices_price_models_model_id",
                        column: x => x.model_id,
                        principalTable: "price_models",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_listing_prices_currency",
                table: "listing_prices",
                column: "currency");

            migrationBuilder.CreateIndex(
                name: "ix_listing_prices_model_id",
                table: "listing_prices",
                column: "model_id");

            migrationBuilder.CreateIndex(
                name: "ix_price_models_market_version",
                table: "price_models",
                columns: new[] { "market", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_price_models_one_active_per_market",
                table: "price_models",
                column: "market",
                unique: true,
                filter: "active");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "listing_prices");

            migrationBuilder.DropTable(
                name: "price_models");
        }
    }
}
