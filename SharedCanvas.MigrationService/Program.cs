using SharedCanvas.MigrationService;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddDatabaseMigrations();

var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
