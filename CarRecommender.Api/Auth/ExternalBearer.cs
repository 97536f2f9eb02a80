using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace CarRecommender.Api.Auth;

/// <summary>
/// The second bearer scheme, for the marketplace identity provider's tokens (<see cref="ExternalAuthOptions"/>), and the
/// policy scheme in front of both that picks one by the token's <c>iss</c>: each handler then validates only the tokens
/// meant for it, and a token of neither issuer meets the API's own scheme, which refuses it.
/// </summary>
public static class ExternalBearer
{
    public const string Scheme = "external";
    /// <summary>The default scheme when the provider is configured: forwards to <see cref="JwtBearerDefaults.AuthenticationScheme"/> or <see cref="Scheme"/>.</summary>
    public const string ByIssuer = "bearer-by-issuer";

    public static AuthenticationBuilder AddExternalBearer(this AuthenticationBuilder auth, ExternalAuthOptions external)
    {
        var issuer = external.Issuer!;
        auth.AddPolicyScheme(ByIssuer, "Bearer token, by issuer", o => o.ForwardDefaultSelector = http => SchemeFor(http, issuer));
        auth.AddJwtBearer(Scheme, o =>
        {
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = external.RequireHttpsMetadata;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = issuer,
                ValidAudience = external.Audience,
                ValidAlgorithms = ExternalAuthOptions.Algorithms,
                ClockSkew = TimeSpan.FromMinutes(1),
            };
            if (!string.IsNullOrWhiteSpace(external.Authority))
            {
                // discovery, then its jwks_uri; the handler's ConfigurationManager refreshes both (every 12 hours, and
                // at once, at most every 5 minutes, when a token names a key it does not know)
                o.Authority = external.Authority;
            }
            else if (!string.IsNullOrWhiteSpace(external.JwksUri))
            {
                o.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(external.JwksUri, new JwksRetriever(issuer),
                    new HttpDocumentRetriever { RequireHttps = external.RequireHttpsMetadata });
            }
            else
            {
                o.TokenValidationParameters.IssuerSigningKeys = external.InlineKeys();
            }
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = ctx => ctx.HttpContext.RequestServices.GetRequiredService<ExternalUsers>().OnTokenValidatedAsync(ctx),
            };
        });
        return auth;
    }

    /// <summary>
    /// The scheme for the request's bearer token, by its <c>iss</c> read without validation (the chosen scheme validates
    /// it): the provider's issuer → <see cref="Scheme"/>; ours, anything else or no token → the API's own scheme.
    /// </summary>
    private static string SchemeFor(HttpContext http, string externalIssuer)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return JwtBearerDefaults.AuthenticationScheme;
        var handler = new JsonWebTokenHandler();
        var token = header["Bearer ".Length..].Trim();
        if (!handler.CanReadToken(token)) return JwtBearerDefaults.AuthenticationScheme;
        try
        {
            return handler.ReadJsonWebToken(token).Issuer == externalIssuer ? Scheme : JwtBearerDefaults.AuthenticationScheme;
        }
        catch (ArgumentException)
        {
            // unreadable (SecurityTokenMalformedException is one): our scheme answers 401 as for any bad token
            return JwtBearerDefaults.AuthenticationScheme;
        }
    }

    /// <summary>Reads a bare JSON Web Key Set as the provider's configuration, for <see cref="ExternalAuthOptions.JwksUri"/> (no discovery document).</summary>
    private sealed class JwksRetriever(string issuer) : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration { Issuer = issuer, JwksUri = address, JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys()) configuration.SigningKeys.Add(key);
            return configuration;
        }
    }
}
