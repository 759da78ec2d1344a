using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// A board as of one sequence number: its elements as the JSON array that late joiners receive. The
/// saver writes it; the log is trimmed only below what it covers (docs/storage.md).
/// </summary>
public sealed class BoardSnapshot
{
    public required string BoardId { get; init; }

    public long Seq { get; set; }

    public required byte[] Elements { get; set; }

    public int ElementCount { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// One operation of a board's history, as clients received it (<see cref="Message"/>), with its author and
/// server time pulled out for the timeline. The saver archives every operation it folds (docs/storage.md,
/// "History"); the Redis log is trimmed below the snapshot, this table only by the retention.
/// </summary>
public sealed class BoardOperation
{
    public required string BoardId { get; init; }

    public long Seq { get; init; }

    public required string Author { get; init; }

    public DateTime At { get; init; }

    public required byte[] Message { get; init; }
}

/// <summary>A board as of one past sequence number, kept so that a version is shown without folding from the start.</summary>
public sealed class BoardCheckpoint
{
    public required string BoardId { get; init; }

    public long Seq { get; init; }

    public required byte[] Elements { get; init; }

    public int ElementCount { get; init; }

    public DateTime At { get; init; }
}

/// <summary>
/// The realtime service's database (connection string <c>realtime-db</c>): a SQLite file by default; on
/// PostgreSQL, <see cref="PostgreSqlRealtimeDbContext"/> (the same model, with migrations of its own) stands in.
/// </summary>
public class RealtimeDbContext : DbContext
{
    public RealtimeDbContext(DbContextOptions<RealtimeDbContext> options)
        : base(options)
    {
    }

    /// <summary>For a provider's own context type (its options are typed by it).</summary>
    protected RealtimeDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<BoardSnapshot> Snapshots => Set<BoardSnapshot>();

    public DbSet<BoardOperation> Operations => Set<BoardOperation>();

    public DbSet<BoardCheckpoint> Checkpoints => Set<BoardCheckpoint>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        builder.Entity<BoardSnapshot>(snapshot =>
        {
            snapshot.HasKey(s => s.BoardId);
            snapshot.Property(s => s.BoardId).HasMaxLength(32);
        });
        builder.Entity<BoardOperation>(operation =>
        {
            operation.HasKey(o => new { o.BoardId, o.Seq });
            operation.Property(o => o.BoardId).HasMaxLength(32);
            operation.Property(o => o.Author).HasMaxLength(64);
        });
        builder.Entity<BoardCheckpoint>(checkpoint =>
        {
            checkpoint.HasKey(c => new { c.BoardId, c.Seq });
            checkpoint.Property(c => c.BoardId).HasMaxLength(32);
            // The retention finds old checkpoints by age.
            checkpoint.HasIndex(c => c.At);
        });
    }
}

/// <summary>
/// The realtime service's database on PostgreSQL (<c>Database:Provider</c> = <c>postgres</c>): a type of its own
/// only so that its migrations (Storage/Migrations/PostgreSql) are told apart from SQLite's.
/// </summary>
public sealed class PostgreSqlRealtimeDbContext(DbContextOptions<PostgreSqlRealtimeDbContext> options) : RealtimeDbContext(options);

/// <summary>Hands out a provider's own context type wherever the service asks for a <see cref="RealtimeDbContext"/>.</summary>
internal sealed class RealtimeDbContextFactory<TContext>(IDbContextFactory<TContext> factory) : IDbContextFactory<RealtimeDbContext>
    where TContext : RealtimeDbContext
{
    public RealtimeDbContext CreateDbContext() => factory.CreateDbContext();

    public async Task<RealtimeDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await factory.CreateDbContextAsync(cancellationToken);
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service (SQLite).</summary>
internal sealed class RealtimeDesignTimeDbContextFactory : IDesignTimeDbContextFactory<RealtimeDbContext>
{
    public RealtimeDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RealtimeDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>The same for PostgreSQL (no server needed).</summary>
internal sealed class PostgreSqlRealtimeDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlRealtimeDbContext>
{
    public PostgreSqlRealtimeDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlRealtimeDbContext>().UseNpgsql("Host=localhost;Database=design-time").Options);
}
