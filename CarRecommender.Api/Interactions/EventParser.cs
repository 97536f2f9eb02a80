using System.Text.Json;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;

namespace CarRecommender.Api.Interactions;

/// <summary>
/// Reads <c>POST /api/events</c> bodies: one event object, or an array of them (the batch form), into the one event
/// contract, <see cref="UserActivityEvent"/>: what the API parses is what it stores and publishes, and what the
/// pipelines consume. Parsed by hand from the JSON so every bad field gets its own message (<c>[3].type</c>), and
/// nothing is stored unless all are valid. An <c>impression</c> ({type: "impression", recommendationId, listingId,
/// position}) is no user activity: it is read into an <see cref="ImpressionReport"/>, checked against the served list
/// (<see cref="ImpressionRecorder"/>) and stored apart from the events.
/// </summary>
public static class EventParser
{
    public const int MaxBatch = 500;
    /// <summary>How far in the future a client clock may be.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    /// <summary>Older events are refused: they would not move a decayed profile and are more likely replays.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);

    public const string ImpressionType = "impression";

    public static readonly string[] TypeNames = [.. Core.Recommendation.EventCatalogue.Names, ImpressionType];

    /// <summary>Events only: an impression among them is refused (only the client that showed the list reports one).</summary>
    public static List<UserActivityEvent> Parse(JsonElement body, long userId, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        var impressions = new List<ImpressionReport>();
        var events = Parse(body, userId, now, errors, impressions);
        foreach (var i in impressions) errors[i.Field + "type"] = ["impressions are reported by the client that showed the list (POST /api/events)."];
        return events;
    }

    /// <param name="impressions">Receives the batch's impressions (the events are returned).</param>
    public static List<UserActivityEvent> Parse(JsonElement body, long userId, DateTimeOffset now, Dictionary<string, string[]> errors,
        List<ImpressionReport> impressions)
    {
        var result = new List<UserActivityEvent>();
        switch (body.ValueKind)
        {
            case JsonValueKind.Object:
                if (ParseOne(body, "", userId, now, errors, impressions) is { } single) result.Add(single);
                break;
            case JsonValueKind.Array:
                var count = body.GetArrayLength();
                if (count == 0) errors["events"] = ["The batch is empty."];
                else if (count > MaxBatch) errors["events"] = [$"A batch holds at most {MaxBatch} events; this one has {count}."];
                else
                {
                    var i = 0;
                    foreach (var item in body.EnumerateArray())
                    {
                        if (ParseOne(item, $"[{i}].", userId, now, errors, impressions) is { } e) result.Add(e);
                        i++;
                    }
                    var repeated = result.GroupBy(e => e.EventId).FirstOrDefault(g => g.Count() > 1);
                    if (repeated is not null) errors["eventId"] = [$"eventId {repeated.Key} appears more than once in the batch."];
                    var shownTwice = impressions.GroupBy(x => (x.RecommendationId, x.ListingId)).FirstOrDefault(g => g.Count() > 1);
                    if (shownTwice is not null) errors[shownTwice.Last().Field + "listingId"] = [$"listing {shownTwice.Key.ListingId} has two impressions of one list in the batch."];
                }
                break;
            default:
                errors["body"] = ["Send one event object or an array of events."];
                break;
        }
        return result;
    }

    private static UserActivityEvent? ParseOne(JsonElement e, string prefix, long userId, DateTimeOffset now, Dictionary<string, string[]> errors,
        List<ImpressionReport> impressions)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors[prefix.TrimEnd('.') is { Length: > 0 } p ? p : "body"] = ["Each event is a JSON object."];
            return null;
        }
        var before = errors.Count;
        // {"listingId": 1, "listingId": "x"} is ambiguous (parsers disagree on which one wins): refuse it
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in e.EnumerateObject())
            if (!names.Add(property.Name))
                errors[prefix + property.Name] = [$"{property.Name} appears more than once."];
        long listingId = 0;
        if (!Get(e, "listingId", out var lid)) errors[prefix + "listingId"] = ["listingId is required."];
        else if (lid.ValueKind != JsonValueKind.Number || !lid.TryGetInt64(out listingId) || listingId <= 0)
            errors[prefix + "listingId"] = ["listingId must be a positive whole number."];

        if (Get(e, "type", out var it) && it.ValueKind == JsonValueKind.String && it.GetString()!.Trim().Equals(ImpressionType, StringComparison.OrdinalIgnoreCase))
        {
            if (ParseImpression(e, prefix, listingId, errors) is { } impression && errors.Count == before) impressions.Add(impression);
            return null;
        }

        var type = InteractionType.View;
        if (!Get(e, "type", out var t)) errors[prefix + "type"] = ["type is required."];
        else if (t.ValueKind != JsonValueKind.String || !TryType(t.GetString()!, out type))
            errors[prefix + "type"] = [$"type must be one of {string.Join(", ", TypeNames)}."];

        var occurredAt = now;
        if (Get(e, "occurredAt", out var at) && at.ValueKind != JsonValueKind.Null)
        {
            if (at.ValueKind != JsonValueKind.String || !at.TryGetDateTimeOffset(out occurredAt))
                errors[prefix + "occurredAt"] = ["occurredAt must be an ISO 8601 date and time with an offset."];
            else if (occurredAt > now + MaxClockSkew)
                errors[prefix + "occurredAt"] = ["occurredAt is in the future."];
            else if (occurredAt < now - MaxAge)
                errors[prefix + "occurredAt"] = [$"occurredAt is more than {MaxAge.TotalDays:0} days ago."];
        }

        var eventId = Guid.CreateVersion7(now);
        if (Get(e, "eventId", out var id) && id.ValueKind != JsonValueKind.Null)
        {
            if (id.ValueKind != JsonValueKind.String || !Guid.TryParse(id.GetString(), out eventId) || eventId == Guid.Empty)
                errors[prefix + "eventId"] = ["eventId must be a non-empty UUID."];
        }

        Guid? recommendationId = null;
        if (Get(e, "recommendationId", out var rid) && rid.ValueKind != JsonValueKind.Null)
        {
            if (rid.ValueKind != JsonValueKind.String || !Guid.TryParse(rid.GetString(), out var r) || r == Guid.Empty)
                errors[prefix + "recommendationId"] = ["recommendationId must be a non-empty UUID."];
            else recommendationId = r;
        }
        return errors.Count == before ? new UserActivityEvent(eventId, userId, listingId, type, occurredAt.ToUniversalTime(), now, recommendationId) : null;
    }

    /// <summary>An impression's own fields: the list it was shown in (required) and its place there.</summary>
    private static ImpressionReport? ParseImpression(JsonElement e, string prefix, long listingId, Dictionary<string, string[]> errors)
    {
        var before = errors.Count;
        var listId = Guid.Empty;
        if (!Get(e, "recommendationId", out var rid) || rid.ValueKind == JsonValueKind.Null)
            errors[prefix + "recommendationId"] = ["recommendationId is required for an impression: the id of the list it was shown in."];
        else if (rid.ValueKind != JsonValueKind.String || !Guid.TryParse(rid.GetString(), out listId) || listId == Guid.Empty)
            errors[prefix + "recommendationId"] = ["recommendationId must be a non-empty UUID."];
        var position = 0;
        if (!Get(e, "position", out var pos)) errors[prefix + "position"] = ["position is required for an impression."];
        else if (pos.ValueKind != JsonValueKind.Number || !pos.TryGetInt32(out position) || position is < 1 or > ImpressionReport.MaxPosition)
            errors[prefix + "position"] = [$"position must be a whole number from 1 to {ImpressionReport.MaxPosition}."];
        foreach (var name in new[] { "occurredAt", "eventId" })
            if (Get(e, name, out _)) errors[prefix + name] = [$"an impression has no {name}."];
        return errors.Count == before ? new ImpressionReport(prefix, listId, listingId, position) : null;
    }

    private static bool Get(JsonElement e, string name, out JsonElement value)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    private static bool TryType(string raw, out InteractionType type)
    {
        var known = Core.Recommendation.EventCatalogue.TryParse(raw, out var kind);
        type = known ? kind.Type : default;
        return known;
    }
}
