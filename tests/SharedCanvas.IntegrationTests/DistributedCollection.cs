using Npgsql;
using SharedCanvas.Testing;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// The stack on PostgreSQL (<c>Database:Provider=postgres</c>): the machine's PostgreSQL server as an executable
/// resource holds the site's and the realtime service's databases. The durability, fan-out, late-join and
/// revocation scenarios run here as well as on the default SQLite stack, sharing this one stack.
/// </summary>
public sealed class PostgreSqlStackFixture : StackFixture
{
    protected override string DatabaseProvider => "postgres";

    /// <summary>Waits until the saver's snapshot of a board, a row on the server, covers <paramref name="atLeast"/>; returns its seq.</summary>
    public async Task<long> WaitForSnapshotAsync(string boardId, long atLeast, TimeSpan? patience = null)
    {
        var server = await Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetConnectionStringAsync(App, "postgres");
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        long seq = 0;
        while (true)
        {
            try
            {
                await using var realtime = new NpgsqlConnection($"{server};Database=sharedcanvas_realtime;Pooling=false;Timeout=3");
                await realtime.OpenAsync();
                await using var query = new NpgsqlCommand("""SELECT "Seq" FROM "Snapshots" WHERE "BoardId" = @id""", realtime);
                query.Parameters.AddWithValue("id", boardId);
                seq = await query.ExecuteScalarAsync() as long? ?? 0;
            }
            catch (NpgsqlException)
            {
                // The server is away (a fault test killed it): ask again.
            }

            if (seq >= atLeast)
            {
                return seq;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The saver stored no snapshot of {boardId} at or after {atLeast} (latest: {seq}).");
            }

            await Task.Delay(250);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlStackFixture>
{
    public const string Name = "stack on PostgreSQL";
}
