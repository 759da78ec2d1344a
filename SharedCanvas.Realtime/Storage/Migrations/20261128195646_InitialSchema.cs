using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharedCanvas.Realtime.Storage.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Snapshots",
                columns: table => new
                {
                    BoardId = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Seq = table.Column<long>(type: "INTEGER", nullable: false),
                    Elements = table.Column<byte[]>(type: "BLOB", nullable: false),
                    ElementCount = table.Column<int>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Snapshots", x => x.BoardId);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Snapshots");
        }
    }
}
