using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CarRecommender.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class RealCatalogues : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<int>(
                name: "power_kw",
                table: "listings",
                type: "integer",
                nullable: true,
                oldClrType: typeof(int),
                oldType: "integer");

            migrationBuilder.AddColumn<int>(
                name: "asking_price",
                table: "listings",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "attributes",
                table: "listings",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "currency",
                table: "listings",
                type: "character varying(3)",
                maxLength: 3,
                nullable: false,
                defaultValue: "EUR");

            migrationBuilder.AddColumn<string>(
                name: "external_id",
                table: "listings",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "source",
                table: "listings",
                type: "character varying(60)",
                maxLength: 60,
                nullable: false,
                defaultValue: "seed");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "updated_at",
                table: "listings",
                type: "timestamp with time zone",
                nullable: true);

            // listings from before imports kept their currency: their asking price is their euro price
            migrationBuilder.Sql("UPDATE listings SET asking_price = price WHERE asking_price = 0");

            migrationBuilder.CreateTable(
                name: "imports",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    source = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    file_name = table.Column<string>(type: "character varying(260)", maxLength: 260, nullable: false),
                    started_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    duration_seconds = table.Column<double>(type: "double precision", nullable: false),
                    sync = table.Column<bool>(type: "boolean", nullable: false),
                    rows_read = table.Column<long>(type: "bigint", nullable: false),
                    inserted = table.Column<long>(type: "bigint", nullable: false),
                    updated = table.Column<long>(type: "bigint", nullable: false),
                    unchanged = table.Column<long>(type: "bigint", nullable: false),
                    marked_sold = table.Column<long>(type: "bigint", nullable: false),
                    rejected = table.Column<long>(type: "bigint", nullable: false),
                    report = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_imports", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "price_history",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    listing_id = table.Column<long>(type: "bigint", nullable: false),
                    changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    asking_price = table.Column<int>(type: "integer", nullable: false),
                    currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                    price = table.Column<int>(type: "integer", nullable: false),
                    previous_price = table.Column<int>(type: "integer", nullable: true),
                    import_id = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_price_history", x => x.id);
                    table.ForeignKey(
                        name: "fk_price_history_listings_listing_id",
                        column: x => x.listing_id,
                        principalTable: "listings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "import_rejections",
                columns: table => new
                {
                    import_id = table.Column<long>(type: "bigint", nullable: false),
                    line = table.Column<long>(type: "bigint", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    raw = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_import_rejections", x => new { x.import_id, x.line });
                    table.ForeignKey(
                        name: "fk_import_rejections_imports_import_id",
                        column: x => x.import_id,
                        principalTable: "imports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_listings_source_external_id",
                table: "listings",
                columns: new[] { "source", "external_id" },
                unique: true,
                filter: "external_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_imports_started_at",
                table: "imports",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "ix_price_history_listing_id_changed_at",
                table: "price_history",
                columns: new[] { "listing_id", "changed_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "import_rejections");

            migrationBuilder.DropTable(
                name: "price_history");

            migrationBuilder.DropTable(
                name: "imports");

            migrationBuilder.DropIndex(
                name: "ix_listings_source_external_id",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "asking_price",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "attributes",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "currency",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "external_id",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "source",
                table: "listings");

            migrationBuilder.DropColumn(
                name: "updated_at",
                table: "listings");

            migrationBuilder.AlterColumn<int>(
                name: "power_kw",
                table: "listings",
                type: "integer",
                nullable: false,
                defaultValue: 0,
                oldClrType: typeof(int),
                oldType: "integer",
                oldNullable: true);
        }
    }
}
