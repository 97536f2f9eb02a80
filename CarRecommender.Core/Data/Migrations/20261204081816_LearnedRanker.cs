using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class LearnedRanker : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "impressions",
                columns: table => new
                {
                    list_id = table.Column<Guid>(type: "uuid", nullable: false),
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    user_id = table.Column<long>(type: "bigint", nullable: true),
                    session_id = table.Column<Guid>(type: "uuid", nullable: true),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_impressions", x => new { x.list_id, x.listing_id });
                    table.ForeignKey(
                        name: "fk_impressions_served_lists_list_id",
                        column: x => x.list_id,
                        principalTable: "served_lists",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ranker_models",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    trained_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    model = table.Column<byte[]>(type: "bytea", nullable: false),
                    importances = table.Column<string>(type: "jsonb", nullable: false),
                    comparison = table.Column<string>(type: "jsonb", nullable: false),
                    training_lists = table.Column<int>(type: "integer", nullable: false),
                    wins = table.Column<bool>(type: "boolean", nullable: false),
                    serving = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_ranker_models", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_impressions_recorded_at",
                table: "impressions",
                column: "recorded_at");

            migrationBuilder.CreateIndex(
                name: "ix_ranker_models_one_serving",
                table: "ranker_models",
                column: "serving",
                unique: true,
                filter: "serving");

            migrationBuilder.CreateIndex(
                name: "ix_ranker_models_trained_at",
                table: "ranker_models",
                column: "trained_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "impressions");

            migrationBuilder.DropTable(
                name: "ranker_models");
        }
    }
}
