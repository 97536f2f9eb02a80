using System.Net.Mail;
using CarRecommender.Core.Domain;
using Npgsql;

namespace CarRecommender.Api.Auth;

/// <summary>A user as a token names them.</summary>
public sealed record Account(long Id, string Email, UserRole Role);

/// <summary>A users row to insert.</summary>
public sealed record NewUser(
    string Email, string DisplayName, UserRole Role, string? City = null, string? PasswordHash = null,
    string? ExternalIssuer = null, string? ExternalSubject = null);

/// <summary>
/// Writes of the users table for the two ways a user arrives: created through <c>POST /api/users</c>, or provisioned on
/// their first request with the marketplace identity provider's token. Uniqueness is the database's (the e-mail index
/// and the filtered external-identity index), so two requests racing for the same user can both ask and one wins.
/// </summary>
public sealed class UserAccounts(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const int MaxEmailLength = 254;
    public const int MaxDisplayNameLength = 100;
    public const int MaxCityLength = 60;

    /// <summary>
    /// Inserts the user unless a unique index already holds one with that e-mail (or external identity): the new id, or
    /// null. ON CONFLICT rather than a caught exception: losing such a race is normal and should not log an error.
    /// </summary>
    public async Task<long?> TryInsertAsync(NewUser user, CancellationToken ct)
    {
        await using var insert = dataSource.CreateCommand("""
            INSERT INTO users (email, display_name, role, city, created_at, content_weight, interaction_count, failed_sign_ins,
                               password_hash, external_issuer, external_subject)
            VALUES ($1, $2, $3, $4, $5, 0, 0, 0, $6, $7, $8)
            ON CONFLICT DO NOTHING
            RETURNING id
            """);
        insert.Parameters.AddWithValue(user.Email);
        insert.Parameters.AddWithValue(user.DisplayName);
        insert.Parameters.AddWithValue(user.Role.ToString());
        insert.Parameters.Add(Text(user.City));
        insert.Parameters.AddWithValue(time.GetUtcNow());
        insert.Parameters.Add(Text(user.PasswordHash));
        insert.Parameters.Add(Text(user.ExternalIssuer));
        insert.Parameters.Add(Text(user.ExternalSubject));
        return await insert.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar };

    /// <summary>The user provisioned for (or linked to) <paramref name="subject"/> at <paramref name="issuer"/>.</summary>
    public async Task<Account?> FindExternalAsync(string issuer, string subject, CancellationToken ct)
    {
        await using var find = dataSource.CreateCommand("SELECT id, email, role FROM users WHERE external_issuer = $1 AND external_subject = $2");
        find.Parameters.AddWithValue(issuer);
        find.Parameters.AddWithValue(subject);
        await using var reader = await find.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new Account(reader.GetInt64(0), reader.GetString(1), Enum.Parse<UserRole>(reader.GetString(2))) : null;
    }

    /// <summary>
    /// Gives the local user with this e-mail the external identity, when that user is a marketplace user without one
    /// (role User, no password, not yet linked): true when it did. Operators are never linked: an e-mail claim alone must
    /// not open an Admin account.
    /// </summary>
    public async Task<bool> TryLinkAsync(string email, string issuer, string subject, CancellationToken ct)
    {
        await using var link = dataSource.CreateCommand("""
            UPDATE users SET external_issuer = $2, external_subject = $3
            WHERE email = $1 AND external_issuer IS NULL AND role = 'User' AND password_hash IS NULL
            """);
        link.Parameters.AddWithValue(email);
        link.Parameters.AddWithValue(issuer);
        link.Parameters.AddWithValue(subject);
        try
        {
            return await link.ExecuteNonQueryAsync(ct) == 1;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // a concurrent first request provisioned this identity meanwhile; the caller finds it on its next look
            return false;
        }
    }

    /// <summary>The id of the user holding this e-mail, if any.</summary>
    public async Task<long?> IdByEmailAsync(string email, CancellationToken ct)
    {
        await using var find = dataSource.CreateCommand("SELECT id FROM users WHERE email = $1");
        find.Parameters.AddWithValue(email);
        return await find.ExecuteScalarAsync(ct) is long id ? id : null;
    }

    /// <summary>The address trimmed and lower-cased when it is a plain e-mail address (no display name, no spaces); else null.</summary>
    public static string? NormaliseEmail(string? raw)
    {
        var email = raw?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > MaxEmailLength || email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return null;
        return MailAddress.TryCreate(email, out var address) && address.Address == email && address.Host.Length > 0
            ? email.ToLowerInvariant()
            : null;
    }

    /// <summary>Free text for a name or city: trimmed, control characters refused, null when empty.</summary>
    public static bool TryCleanText(string? raw, int maxLength, out string? text)
    {
        text = string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
        return text is null || (text.Length <= maxLength && !text.Any(char.IsControl));
    }
}
