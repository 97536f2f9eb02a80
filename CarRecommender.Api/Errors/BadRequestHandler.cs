using Microsoft.AspNetCore.Diagnostics;

namespace CarRecommender.Api.Errors;

/// <summary>
/// A body the framework could not read (malformed JSON, a JSON value of the wrong type, a wrong content type) is the
/// client's mistake: answer its 4xx as ProblemDetails. In Development minimal APIs throw these instead of answering
/// (RouteHandlerOptions.ThrowOnBadRequest), which without this handler became 500s.
/// </summary>
public sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad) return false;
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => "The request body is too large",
                    StatusCodes.Status415UnsupportedMediaType => "Unsupported content type",
                    _ => "The request body could not be read",
                },
                // the framework's message names the parameter and what went wrong, never server internals
                Detail = bad.Message,
            },
        });
    }
}
