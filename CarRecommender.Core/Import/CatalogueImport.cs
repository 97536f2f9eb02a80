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
        // invalid UTF-8 becomes U+FFFD instead of an exception: such rows are judged by their fields like any other
        var file = File.OpenRead(path);
        var length = file.Length;
        using var text = new StreamReader(file, new UTF8Encoding(false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: true);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // progress in bytes of the file read, which is known up front (the row count is not)
        var bytes = progress is null ? null : new Progress(p => progress.Report(new LoadProgress("importing", file.CanRead ? file.Position : length, length)));
        var imported = await CatalogueLoader.CopyListingsAsync(conn, reader.Read(text, mapping), 0, bytes, ct);
        await tx.CommitAsync(ct);
        progress?.Report(new LoadProgress("importing", length, length));
        return reader.Report(imported);
    }

    private sealed class Progress(Action<LoadProgress> report) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => report(value);
    }
}
