using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "confidence",
                table: "model_versions",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Linear");

            migrationBuilder.AddColumn<double>(
                name: "mean_user_pairs",
                table: "model_versions",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "regularization_exponent",
                table: "model_versions",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<string>(
                name: "search",
                table: "model_versions",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "validation_ndcg",
                table: "model_versions",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "confidence",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "mean_user_pairs",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "regularization_exponent",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "search",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "validation_ndcg",
                table: "model_versions");
        }
    }
}
