using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWebDatabase();
builder.AddAccounts();
builder.AddWebFrontEnd();

var app = builder.Build();

app.UseWebFrontEnd();
app.MapDefaultEndpoints();
app.MapJwksApi();
app.MapAuthApi();
app.MapBoardsApi();
app.MapRazorPages().WithStaticAssets();

app.Run();
