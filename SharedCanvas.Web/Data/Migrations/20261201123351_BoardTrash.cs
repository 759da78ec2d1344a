using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharedCanvas.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class BoardTrash : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "DeletedAt",
                table: "Boards",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Boards_DeletedAt",
                table: "Boards",
                column: "DeletedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Boards_DeletedAt",
                table: "Boards");

            migrationBuilder.DropColumn(
                name: "DeletedAt",
                table: "Boards");
        }
    }
}
