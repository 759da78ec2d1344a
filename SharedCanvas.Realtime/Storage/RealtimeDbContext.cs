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

/// <summary>The realtime service's database (SQLite file by default, connection string <c>realtime-db</c>).</summary>
public sealed class RealtimeDbContext(DbContextOptions<RealtimeDbContext> options) : DbContext(options)
{
    public DbSet<BoardSnapshot> Snapshots => Set<BoardSnapshot>();

    protected override void OnModelCreating(ModelBuilder builder) =>
        builder.Entity<BoardSnapshot>(snapshot =>
        {
            snapshot.HasKey(s => s.BoardId);
            snapshot.Property(s => s.BoardId).HasMaxLength(32);
        });
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class RealtimeDbContextFactory : IDesignTimeDbContextFactory<RealtimeDbContext>
{
    public RealtimeDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<RealtimeDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
