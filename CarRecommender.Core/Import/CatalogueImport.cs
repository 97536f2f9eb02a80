using System.Text;
using CarRecommender.Core.Data;
using Npgsql;

namespace CarRecommender.Core.Import;

/// <summary>Imports a catalogue CSV file: every valid row goes in, or none does (one transaction around the COPY).</summary>
public static class CatalogueImport
{
    public static async Task<ImportReport> ImportFileAsync(NpgsqlDataSource dataSource, string path,
        IReadOnlyDictionary<string, string> mapping, DateTimeOffset now, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var reader = new ListingCsvReader(now);
        // Spreadsheets still export Latin-1 / Windows-1252: a file that is not valid UTF-8 is read as Latin-1 (and the
        // report says so), rather than turning every "ë" into U+FFFD. Binary garbage then fails row validation.
        var utf8 = await IsUtf8Async(path, ct);
        var file = File.OpenRead(path);
        var length = file.Length;
        using var text = new StreamReader(file, utf8 ? new UTF8Encoding(false) : Encoding.Latin1, detectEncodingFromByteOrderMarks: utf8);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // progress in bytes of the file read, which is known up front (the row count is not)
        var bytes = progress is null ? null : new SyncProgress<LoadProgress>(p => progress.Report(new LoadProgress("importing", file.CanRead ? file.Position : length, length)));
        var imported = await CatalogueLoader.CopyListingsAsync(conn, reader.Read(text, mapping), 0, bytes, ct);
        await tx.CommitAsync(ct);
        progress?.Report(new LoadProgress("importing", length, length));
        var report = reader.Report(imported);
        return utf8 ? report : report with { Warnings = [.. report.Warnings, "The file is not valid UTF-8; it was read as Latin-1 (ISO-8859-1)."] };
    }

    /// <summary>Whether the whole file decodes as UTF-8 (streamed, so a 200 MB file costs one extra read).</summary>
    private static async Task<bool> IsUtf8Async(string path, CancellationToken ct)
    {
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        var buffer = new byte[1 << 16];
        var chars = new char[buffer.Length + 1];
        await using var file = File.OpenRead(path);
        try
        {
            int read;
            while ((read = await file.ReadAsync(buffer, ct)) > 0)
                decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
            decoder.GetChars(buffer, 0, 0, chars, 0, flush: true);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
