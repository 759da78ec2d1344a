using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SharedCanvas.Web.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the site.</summary>
internal sealed class WebDbContextFactory : IDesignTimeDbContextFactory<WebDbContext>
{
    public WebDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<WebDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
