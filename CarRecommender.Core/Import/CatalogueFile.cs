using System.Text;
using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Import;

/// <summary>
/// A catalogue file opened the way the importer reads it: UTF-8, or Latin-1 when it is not valid UTF-8 (spreadsheets
/// still export Windows-1252, and "ë" should not turn into U+FFFD); surveyed for its mileage unit first; then read row by
/// row with its position in bytes, which is known up front (the row count is not), for progress.
/// </summary>
public sealed class CatalogueFile : IDisposable
{
    private readonly FileStream _file;
    private readonly StreamReader _text;

    private CatalogueFile(FileStream file, StreamReader text, ListingCsvReader reader, bool utf8)
    {
        _file = file;
        _text = text;
        Reader = reader;
        // known up front: the reader closes the file when it reaches the end
        Length = file.Length;
        Warning = utf8 ? null : "The file is not valid UTF-8; it was read as Latin-1 (ISO-8859-1).";
    }

    /// <summary>The reader: its counts, rejections, mapping and decisions are complete once <see cref="Listings"/> is enumerated.</summary>
    public ListingCsvReader Reader { get; }
    /// <summary>What the report should say of the file's encoding: null for UTF-8.</summary>
    public string? Warning { get; }
    public long Length { get; }
    /// <summary>Bytes read so far (the whole length once the file is closed).</summary>
    public long Position => _file.CanRead ? _file.Position : Length;

    public static async Task<CatalogueFile> OpenAsync(string path, ImportOptions options, CurrencyRates rates, DateTimeOffset now, CancellationToken ct)
    {
        var utf8 = await IsUtf8Async(path, ct);
        var encoding = utf8 ? new UTF8Encoding(false) : Encoding.Latin1;
        var reader = new ListingCsvReader(now, options, rates);
        using (var survey = new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: utf8)) reader.Survey(survey);
        var file = File.OpenRead(path);
        return new CatalogueFile(file, new StreamReader(file, encoding, detectEncodingFromByteOrderMarks: utf8), reader, utf8);
    }

    /// <summary>Every valid row, once (see <see cref="ListingCsvReader.Read"/>).</summary>
    public IEnumerable<Listing> Listings() => Reader.Read(_text);

    public void Dispose()
    {
        _text.Dispose();
        _file.Dispose();
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
