using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace CarRecommender.Api.Errors;

/// <summary>
/// Turns "the database (or RabbitMQ) cannot be reached" (connection refused or reset, server shutting down, pool
/// exhausted, timeouts) into 503 ProblemDetails with Retry-After, at once: the client should retry, and nothing was written. Every other
/// exception stays a 500 ProblemDetails without details.
/// </summary>
public sealed partial class BackendUnavailableHandler(IProblemDetailsService problems, ILogger<BackendUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (IsBrokerUnavailable(exception)) return await WriteAsync(httpContext, exception, "The message broker is unavailable",
            $"The service cannot reach RabbitMQ right now; nothing was changed. Retry in {RetryAfterSeconds} seconds.");
        if (!IsDatabaseUnavailable(exception)) return false;
        return await WriteAsync(httpContext, exception, "The database is unavailable",
            $"The service cannot reach its database right now; nothing was changed. Retry in {RetryAfterSeconds} seconds.");
    }

    private async ValueTask<bool> WriteAsync(HttpContext httpContext, Exception exception, string title, string detail)
    {
        LogUnavailable(logger, httpContext.Request.Path, exception.GetType().Name, exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = title,
                Detail = detail,
            },
        });
    }

    public static bool IsBrokerUnavailable(Exception? exception) => exception switch
    {
        null => false,
        RabbitMQ.Client.Exceptions.BrokerUnreachableException or RabbitMQ.Client.Exceptions.AlreadyClosedException
            or RabbitMQ.Client.Exceptions.ConnectFailureException => true,
        _ => IsBrokerUnavailable(exception.InnerException),
    };

    public static bool IsDatabaseUnavailable(Exception? exception) => exception switch
    {
        null => false,
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException or TimeoutException } => true,
        TimeoutException => true,
        _ => IsDatabaseUnavailable(exception.InnerException),
    };

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "{Path}: backend unavailable ({Type}: {Message}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string path, string type, string message);
}
