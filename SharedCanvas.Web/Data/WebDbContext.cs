using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Data;

/// <summary>The site's database: accounts (ASP.NET Identity), boards, signing keys, data-protection keys.</summary>
public sealed class WebDbContext(DbContextOptions<WebDbContext> options)
    : IdentityDbContext<AppUser>(options), IDataProtectionKeyContext
{
    public DbSet<Board> Boards => Set<Board>();

    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

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
        });

        builder.Entity<SigningKey>(key =>
        {
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(64);
        });
    }
}
