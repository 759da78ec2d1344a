using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SharedCanvas.Web.Data;

/// <summary>
/// The site's database on PostgreSQL (<c>Database:Provider</c> = <c>postgres</c>): the same model as
/// <see cref="WebDbContext"/>, a type of its own only so that its migrations (Data/Migrations/PostgreSql) are
/// told apart from SQLite's. MigrationsConsistencyTests keeps the two sets in step with the model.
/// </summary>
public sealed class PostgreSqlWebDbContext(DbContextOptions<PostgreSqlWebDbContext> options) : WebDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the site (SQLite).</summary>
internal sealed class WebDbContextFactory : IDesignTimeDbContextFactory<WebDbContext>
{
    public WebDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<WebDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>The same for PostgreSQL: <c>dotnet ef migrations add … --context PostgreSqlWebDbContext</c> (no server needed).</summary>
internal sealed class PostgreSqlWebDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlWebDbContext>
{
    public PostgreSqlWebDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlWebDbContext>().UseNpgsql("Host=localhost;Database=design-time").Options);
}
