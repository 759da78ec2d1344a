using Microsoft.EntityFrameworkCore;
using SharedCanvas.Contracts;
using SharedCanvas.Realtime.Storage;
using SharedCanvas.Web.Data;

namespace SharedCanvas.UnitTests;

/// <summary>
/// Each database has a set of migrations per engine (SQLite, PostgreSQL; docs/storage.md). A model change with
/// a migration for one engine only would leave the other unable to store it: every set must describe the
/// model as the code has it. No server is needed (EF compares the model with the set's snapshot).
/// </summary>
public sealed class MigrationsConsistencyTests
{
    public static TheoryData<string> Contexts => ["web sqlite", "web postgres", "realtime sqlite", "realtime postgres"];

    [Theory]
    [MemberData(nameof(Contexts))]
    public void EveryEnginesMigrationsDescribeTheModelAsItIs(string context)
    {
        using var db = Create(context);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The {context} model has changes no migration holds: add one for each engine (docs/storage.md, \"Changing the schema\").");
    }

    [Fact]
    public void TheTwoEnginesHaveTheSameTablesAndColumns()
    {
        foreach (var name in new[] { "web", "realtime" })
        {
            using var sqlite = Create($"{name} sqlite");
            using var postgres = Create($"{name} postgres");
            Assert.Equal(Columns(sqlite), Columns(postgres));
        }
    }

    [Theory]
    [InlineData(null, DatabaseProvider.Sqlite)]
    [InlineData("SQLite", DatabaseProvider.Sqlite)]
    [InlineData("postgres", DatabaseProvider.PostgreSql)]
    [InlineData("PostgreSQL", DatabaseProvider.PostgreSql)]
    public void TheProviderSettingIsReadInAnyCase(string? value, DatabaseProvider expected) =>
        Assert.Equal(expected, DatabaseProviders.Parse(value));

    [Fact]
    public void AnUnknownProviderIsRefusedByName() =>
        Assert.Contains("Database:Provider", Assert.Throws<InvalidOperationException>(() => DatabaseProviders.Parse("mysql")).Message);

    private static DbContext Create(string context) => context switch
    {
        "web sqlite" => new WebDbContext(new DbContextOptionsBuilder<WebDbContext>().UseSqlite("Data Source=:memory:").Options),
        "web postgres" => new PostgreSqlWebDbContext(new DbContextOptionsBuilder<PostgreSqlWebDbContext>().UseNpgsql("Host=localhost").Options),
        "realtime sqlite" => new RealtimeDbContext(new DbContextOptionsBuilder<RealtimeDbContext>().UseSqlite("Data Source=:memory:").Options),
        "realtime postgres" => new PostgreSqlRealtimeDbContext(new DbContextOptionsBuilder<PostgreSqlRealtimeDbContext>().UseNpgsql("Host=localhost").Options),
        _ => throw new ArgumentOutOfRangeException(nameof(context)),
    };

    private static List<string> Columns(DbContext db) =>
        db.Model.GetEntityTypes()
            .SelectMany(e => e.GetProperties().Select(p => $"{e.GetTableName()}.{p.GetColumnName()} {(p.IsNullable ? "null" : "not null")} {p.GetMaxLength()}"))
            .Order(StringComparer.Ordinal)
            .ToList();
}
