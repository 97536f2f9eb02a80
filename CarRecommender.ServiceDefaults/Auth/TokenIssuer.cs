using System.Text;
using CarRecommender.Core.Domain;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CarRecommender.Auth;

/// <summary>Settings under <c>Auth</c>: the signing key (from the AppHost), token lifetime, and the demo token switch.</summary>
public sealed class AuthOptions
{
    public const string Issuer = "carrecommender";
    public const string Audience = "carrecommender-api";
    public string SigningKey { get; set; } = "";
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(8);
    /// <summary>Demo tokens by e-mail alone. Null: on in Development, off elsewhere.</summary>
    public bool? DemoTokens { get; set; }
}

/// <summary>Signs access tokens (HS256) for users.</summary>
public sealed class TokenIssuer(AuthOptions options, TimeProvider time)
{
    private readonly SigningCredentials _credentials = new(Key(options.SigningKey), SecurityAlgorithms.HmacSha256);

    public static SymmetricSecurityKey Key(string secret) => new(Encoding.UTF8.GetBytes(secret));

    public (string Token, DateTimeOffset ExpiresAt) Issue(User user) => Issue(user.Id, user.Email, user.Role, options.TokenLifetime);

    /// <summary>A token for any user and lifetime (the admin console calls the API as the signed-in admin, or as a user it inspects).</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(long userId, string email, UserRole role, TimeSpan lifetime)
    {
        var now = time.GetUtcNow();
        var expires = now + lifetime;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthOptions.Issuer,
            Audience = AuthOptions.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _credentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [JwtRegisteredClaimNames.Email] = email,
                ["role"] = role.ToString(),
            },
        });
        return (token, expires);
    }
}
