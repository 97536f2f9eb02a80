using System.ComponentModel;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Identity;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class AdminSettings : DatabaseSettings
{
    [CommandOption("--email <EMAIL>")]
    [Description("The operator's e-mail: a new user is created, an existing one is made an Admin")]
    public string Email { get; init; } = "";

    [CommandOption("--name <NAME>")]
    [Description("Display name of a new operator (default: the part of the e-mail before @)")]
    public string? Name { get; init; }

    [CommandOption("--revoke")]
    [Description("Take the Admin role and the password away instead (the user stays)")]
    public bool Revoke { get; init; }

    public override ValidationResult Validate() =>
        Email.Length is 0 or > 254 || !Email.Contains('@', StringComparison.Ordinal) ? ValidationResult.Error("--email must be an e-mail address")
        : ValidationResult.Success();
}

/// <summary>
/// Gives an operator their own credentials: reads the password from standard input (never from the command line,
/// which other users of the machine can see), hashes it with ASP.NET Core Identity's hasher, and makes the user an
/// Admin with that password, their lockout cleared. <c>--revoke</c> undoes it.
/// </summary>
public sealed class AdminCommand : AsyncCommand<AdminSettings>
{
    public const int MinPasswordLength = 12;

    public override async Task<int> ExecuteAsync(CommandContext context, AdminSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = await settings.OpenDatabaseAsync(cancellationToken);
        var email = settings.Email.Trim().ToLowerInvariant();
        if (settings.Revoke)
        {
            await using var revoke = dataSource.CreateCommand("UPDATE users SET role = 'User', password_hash = NULL WHERE email = $1");
            revoke.Parameters.AddWithValue(email);
            if (await revoke.ExecuteNonQueryAsync(cancellationToken) == 0) throw new CliException($"no user has the e-mail {email}");
            AnsiConsole.MarkupLineInterpolated($"{email} is no longer an operator");
            return 0;
        }
        if (!Console.IsInputRedirected) AnsiConsole.Markup("password (input hidden is not supported here; pipe it in): ");
        var password = (await Console.In.ReadLineAsync(cancellationToken))?.TrimEnd('\r', '\n') ?? "";
        if (password.Length < MinPasswordLength)
            throw new CliException($"the password must have at least {MinPasswordLength} characters (read from standard input)");
        var hash = new PasswordHasher<User>().HashPassword(null!, password);
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO users (email, display_name, role, created_at, password_hash, failed_sign_ins, interaction_count, content_weight)
            VALUES ($1, $2, 'Admin', now(), $3, 0, 0, 0)
            ON CONFLICT (email) DO UPDATE SET role = 'Admin', password_hash = excluded.password_hash, failed_sign_ins = 0, locked_until = NULL
            RETURNING id
            """);
        cmd.Parameters.AddWithValue(email);
        cmd.Parameters.AddWithValue(settings.Name is { Length: > 0 } name ? name : email.Split('@')[0]);
        cmd.Parameters.AddWithValue(hash);
        var id = (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        AnsiConsole.MarkupLineInterpolated($"user {id} ({email}) is an operator with the new password");
        return 0;
    }
}
