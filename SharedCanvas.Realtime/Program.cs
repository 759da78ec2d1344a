using SharedCanvas.Realtime.Apis;
using SharedCanvas.Realtime.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddBoardStorage();
builder.AddRealtimeAuth();
builder.AddBoardSockets();

var app = builder.Build();

app.UseWebSockets();
app.MapDefaultEndpoints();
app.MapBoardSocketApi();

app.Run();
