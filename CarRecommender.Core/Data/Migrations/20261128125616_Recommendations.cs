using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class Recommendations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "trend_key",
                table: "listings",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.CreateTable(
                name: "recommendations",
                columns: table => new
                {
                    user_id = table.Column<long>(type: "bigint", nullable: false),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    vectors_as_of = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    listing_ids = table.Column<long[]>(type: "bigint[]", nullable: false),
                    scores = table.Column<float[]>(type: "real[]", nullable: false),
                    sources = table.Column<string[]>(type: "text[]", nullable: false),
                    reasons = table.Column<string[]>(type: "text[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_recommendations", x => x.user_id);
                    table.ForeignKey(
                        name: "fk_recommendations_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_trend_key",
                table: "listings",
                columns: new[] { "status", "trend_key" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_recommendations_listing_ids",
                table: "recommendations",
                column: "listing_ids")
                .Annotation("Npgsql:IndexMethod", "gin");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "recommendations");

            migrationBuilder.DropIndex(
                name: "ix_listings_status_trend_key",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "trend_key",
                table: "listings");
        }
    }
}
