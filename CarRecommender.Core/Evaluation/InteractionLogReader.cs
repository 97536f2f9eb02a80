using System.Globalization;

namespace CarRecommender.Core.Evaluation;

/// <summary>
/// Reads an interaction log <c>user,item[,value][,timestamp]</c>: comma or tab separated (detected from the first line),
/// with an optional header (recognised by known column names or a non-numeric value / non-time timestamp field).
/// User and item ids are arbitrary strings; the value defaults to 1; the timestamp is unix seconds or ISO-8601.
/// Rows whose value is below <c>minValue</c> are dropped (e.g. keep MovieLens ratings ≥ 4 as positives), then duplicate
/// (user, item) pairs are merged (values summed, latest timestamp kept).
/// </summary>
public static class InteractionLogReader
{
    private static readonly HashSet<string> HeaderNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "user", "users", "user_id", "userid", "uid", "item", "items", "item_id", "itemid", "iid", "listing", "listing_id",
        "movie", "movie_id", "movieid", "value", "rating", "strength", "weight", "timestamp", "time", "ts",
    };

    /// <exception cref="FormatException">A malformed row; the message names its line number.</exception>
    public static InteractionLog Read(TextReader reader, double? minValue = null)
    {
        char? separator = null;
        var columns = 0;
        var lineNumber = 0;
        var rows = new List<(string, string, float, long?)>();
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            separator ??= line.Contains('\t') ? '\t' : ',';
            var fields = line.Split(separator.Value).Select(Clean).ToArray();
            if (columns == 0)
            {
                if (fields.Length is < 2 or > 4)
                    throw new FormatException($"line {lineNumber}: expected 2 to 4 fields (user, item[, value][, timestamp]), found {fields.Length}");
                columns = fields.Length;
                if (IsHeader(fields)) continue;
            }
            if (fields.Length != columns)
                throw new FormatException($"line {lineNumber}: expected {columns} fields like the first row, found {fields.Length}");
            if (fields[0].Length == 0 || fields[1].Length == 0)
                throw new FormatException($"line {lineNumber}: empty user or item id");
            var value = 1.0;
            if (columns >= 3 && !double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out value))
                throw new FormatException($"line {lineNumber}: value '{fields[2]}' is not a number");
            long? timestamp = null;
            if (columns == 4)
            {
                timestamp = ParseTimestamp(fields[3])
                    ?? throw new FormatException($"line {lineNumber}: timestamp '{fields[3]}' is neither unix seconds nor ISO-8601");
            }
            if (minValue is { } min && value < min) continue;
            rows.Add((fields[0], fields[1], (float)value, timestamp));
        }
        return InteractionLog.Aggregate(rows);
    }

    /// <summary>Unix seconds, or an ISO-8601 date/time (UTC unless it carries an offset).</summary>
    public static long? ParseTimestamp(string field)
    {
        if (long.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)) return seconds;
        if (double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var fractional)) return (long)fractional;
        return DateTimeOffset.TryParse(field, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUnixTimeSeconds()
            : null;
    }

    private static bool IsHeader(string[] fields) =>
        HeaderNames.Contains(fields[0]) || HeaderNames.Contains(fields[1])
        || fields.Length >= 3 && !double.TryParse(fields[2], NumberStyles.Float, CultureInfo.InvariantCulture, out _)
        || fields.Length == 4 && ParseTimestamp(fields[3]) is null;

    private static string Clean(string field)
    {
        field = field.Trim();
        return field.Length >= 2 && field[0] == '"' && field[^1] == '"' ? field[1..^1] : field;
    }
}
