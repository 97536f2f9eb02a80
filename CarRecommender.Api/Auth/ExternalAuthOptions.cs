using CarRecommender.Auth;
using Microsoft.IdentityModel.Tokens;

namespace CarRecommender.Api.Auth;

/// <summary>
/// Settings under <c>Auth:External</c>: the marketplace's own identity provider, whose JWTs the API accepts besides its
/// own. Its keys come from one of three places, in this order: <see cref="Authority"/> (OpenID Connect discovery),
/// <see cref="JwksUri"/> (a key set without discovery) or <see cref="SigningKeys"/> (a key set inline). None set: off.
/// </summary>
public sealed class ExternalAuthOptions
{
    public const string Section = "Auth:External";

    /// <summary>The tokens' <c>iss</c>, exactly; also what tells them from the API's own tokens.</summary>
    public string? Issuer { get; set; }
    /// <summary>The <c>aud</c> the provider puts in tokens meant for this API.</summary>
    public string? Audience { get; set; }
    /// <summary>Discovery at <c>{Authority}/.well-known/openid-configuration</c>, which names the key set.</summary>
    public string? Authority { get; set; }
    /// <summary>A JSON Web Key Set's URL, for a provider without discovery.</summary>
    public string? JwksUri { get; set; }
    /// <summary>A JSON Web Key Set as a string (<c>{"keys": [...]}</c>), for a provider whose keys are fixed.</summary>
    public string? SigningKeys { get; set; }
    /// <summary>Discovery and key set over HTTPS only; false for tests and local development.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
    public string EmailClaim { get; set; } = "email";
    public string NameClaim { get; set; } = "name";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(JwksUri) || !string.IsNullOrWhiteSpace(SigningKeys);

    /// <summary>Signatures the provider's tokens may carry: asymmetric only, so no shared secret can sign one.</summary>
    public static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>Fails start-up on a setting that would make every external token fail, or some pass that should not.</summary>
    public void Validate()
    {
        if (!Enabled) return;
        if (string.IsNullOrWhiteSpace(Issuer) || string.IsNullOrWhiteSpace(Audience))
            throw new InvalidOperationException($"{Section}: Issuer and Audience are required when Authority, JwksUri or SigningKeys is set.");
        if (Issuer == AuthOptions.Issuer)
            throw new InvalidOperationException($"{Section}:Issuer must differ from the API's own issuer '{AuthOptions.Issuer}'.");
        // the users table keeps the issuer in 200 characters
        if (Issuer.Length > 200)
            throw new InvalidOperationException($"{Section}:Issuer is longer than 200 characters.");
        // the handler would refuse these only at the first token, with a 500
        foreach (var (name, url) in new[] { (nameof(Authority), Authority), (nameof(JwksUri), JwksUri) })
        {
            if (string.IsNullOrWhiteSpace(url)) continue;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                throw new InvalidOperationException($"{Section}:{name} must be an absolute http(s) URL.");
            if (RequireHttpsMetadata && uri.Scheme != Uri.UriSchemeHttps)
                throw new InvalidOperationException($"{Section}:{name} must use HTTPS unless {Section}:RequireHttpsMetadata is false.");
        }
        if (string.IsNullOrWhiteSpace(EmailClaim) || string.IsNullOrWhiteSpace(NameClaim))
            throw new InvalidOperationException($"{Section}: EmailClaim and NameClaim cannot be empty.");
        if (string.IsNullOrWhiteSpace(Authority) && string.IsNullOrWhiteSpace(JwksUri)) _ = InlineKeys();
    }

    /// <summary>The asymmetric keys of the inline key set; symmetric ones are refused, since they would let anyone holding the secret mint users.</summary>
    public IList<SecurityKey> InlineKeys()
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(SigningKeys);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{Section}:SigningKeys is not a JSON Web Key Set: {e.Message}", e);
        }
        if (set.Keys.Any(k => k.Kty == JsonWebAlgorithmsKeyTypes.Octet))
            throw new InvalidOperationException($"{Section}:SigningKeys holds a symmetric (oct) key; only RSA and EC public keys are accepted.");
        var keys = set.GetSigningKeys();
        if (keys.Count == 0)
            throw new InvalidOperationException($"{Section}:SigningKeys has no usable RSA or EC key.");
        return keys;
    }
}
