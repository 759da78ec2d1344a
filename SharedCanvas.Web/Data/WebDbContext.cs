using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Data;

/// <summary>
/// The site's database: accounts (ASP.NET Identity), boards, signing keys, data-protection keys. On SQLite
/// (the default) this type is the context; on PostgreSQL, <see cref="PostgreSqlWebDbContext"/> (the same
/// model, with migrations of its own) stands in for it wherever a <see cref="WebDbContext"/> is asked for.
/// </summary>
public class WebDbContext : IdentityDbContext<AppUser>, IDataProtectionKeyContext
{
    public WebDbContext(DbContextOptions<WebDbContext> options)
        : base(options)
    {
    }

    /// <summary>For a provider's own context type (its options are typed by it).</summary>
    protected WebDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<Board> Boards => Set<Board>();

    public DbSet<BoardMember> BoardMembers => Set<BoardMember>();

    public DbSet<ShareLink> ShareLinks => Set<ShareLink>();

    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    // Members and links of a board in the trash are only ever reached through their board, which the query
    // filter hides; EF's warning that they would be found without it does not apply.
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.ConfigureWarnings(w => w.Ignore(CoreEventId.PossibleIncorrectRequiredNavigationWithQueryFilterInteractionWarning));

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<Board>(board =>
        {
            board.HasKey(b => b.Id);
            board.Property(b => b.Id).HasMaxLength(32);
            board.Property(b => b.Name).HasMaxLength(Board.MaxNameLength);
            board.HasOne(b => b.Owner).WithMany().HasForeignKey(b => b.OwnerId).OnDelete(DeleteBehavior.Cascade);
            board.HasIndex(b => new { b.OwnerId, b.CreatedAt });
            board.HasIndex(b => b.DeletedAt);
            // The one rule for the trash: a trashed board is not there, whatever asks. Only the trash's own
            // queries (BoardService) look past it.
            board.HasQueryFilter(b => b.DeletedAt == null);
        });

        builder.Entity<BoardMember>(member =>
        {
            member.HasKey(m => new { m.BoardId, m.UserId });
            member.Property(m => m.Role).HasMaxLength(16);
            member.HasOne<Board>().WithMany().HasForeignKey(m => m.BoardId).OnDelete(DeleteBehavior.Cascade);
            member.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
            member.HasIndex(m => m.UserId);
        });

        builder.Entity<ShareLink>(link =>
        {
            link.HasKey(l => l.Id);
            link.Property(l => l.Id).HasMaxLength(32);
            link.Property(l => l.Role).HasMaxLength(16);
            link.HasOne<Board>().WithMany().HasForeignKey(l => l.BoardId).OnDelete(DeleteBehavior.Cascade);
            link.HasIndex(l => l.BoardId);
        });

        builder.Entity<RefreshToken>(token =>
        {
            token.HasKey(t => t.Id);
            token.Property(t => t.Id).HasMaxLength(64);
            token.HasIndex(t => t.FamilyId);
            token.HasIndex(t => t.UserId);
            token.HasOne<AppUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<SigningKey>(key =>
        {
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(64);
        });
    }
}
