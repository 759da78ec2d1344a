using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharedCanvas.Realtime.Storage.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class HistoryTablesPostgreSql : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Checkpoints",
                columns: table => new
                {
                    BoardId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    Elements = table.Column<byte[]>(type: "bytea", nullable: false),
                    ElementCount = table.Column<int>(type: "integer", nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Checkpoints", x => new { x.BoardId, x.Seq });
                });

            migrationBuilder.CreateTable(
                name: "Operations",
                columns: table => new
                {
                    BoardId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    Author = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    At = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Message = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Operations", x => new { x.BoardId, x.Seq });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Checkpoints_At",
                table: "Checkpoints",
                column: "At");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Checkpoints");

            migrationBuilder.DropTable(
                name: "Operations");
        }
    }
}
