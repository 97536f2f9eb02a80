var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCarRecommenderDb();
builder.AddCarRecommenderMessaging();

var app = builder.Build();

// The worker serves only its health endpoints over HTTP; its work arrives through RabbitMQ.
app.MapDefaultEndpoints();

app.Run();
