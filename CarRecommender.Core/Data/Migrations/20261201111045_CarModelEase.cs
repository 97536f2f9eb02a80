using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class CarModelEase : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "car_model_lambda",
                table: "model_versions",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "car_model_validation_ndcg",
                table: "model_versions",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "car_models",
                table: "model_versions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "car_model",
                table: "listings",
                type: "character varying(101)",
                maxLength: 101,
                nullable: false,
                computedColumnSql: "make || ' ' || model",
                stored: true);

            migrationBuilder.CreateTable(
                name: "car_model_links",
                columns: table => new
                {
                    model_version_id = table.Column<long>(type: "bigint", nullable: false),
                    car_model = table.Column<string>(type: "character varying(101)", maxLength: 101, nullable: false),
                    related = table.Column<string>(type: "character varying(101)", maxLength: 101, nullable: false),
                    weight = table.Column<float>(type: "real", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_car_model_links", x => new { x.model_version_id, x.car_model, x.related });
                    table.ForeignKey(
                        name: "fk_car_model_links_model_versions_model_version_id",
                        column: x => x.model_version_id,
                        principalTable: "model_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_listings_status_car_model_trend_key",
                table: "listings",
                columns: new[] { "status", "car_model", "trend_key" },
                descending: new[] { false, false, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "car_model_links");

            migrationBuilder.DropIndex(
                name: "ix_listings_status_car_model_trend_key",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "car_model",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "car_model_lambda",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "car_model_validation_ndcg",
                table: "model_versions");

            migrationBuilder.DropColumn(
                name: "car_models",
                table: "model_versions");
        }
    }
}
