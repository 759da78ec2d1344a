namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Takes secrets out of URLs before a request is traced or logged: the values of token parameters in query
/// strings, and path segments that are secrets themselves — a share link's id, after <c>share</c> (the page
/// <c>/share/{linkId}</c>, the API <c>/api/share/{linkId}</c>) or <c>links</c> (<c>/api/boards/{id}/links/{linkId}</c>):
/// whoever reads it can join the board.
/// </summary>
public static class TelemetryRedaction
{
    public const string Redacted = "Redacted";

    private static readonly string[] SecretParameters = ["access_token", "token", "refresh_token", "t"];

    /// <summary>Path segments whose next segment is a secret.</summary>
    private static readonly string[] SecretAfter = ["share", "links"];

    /// <summary><c>?access_token=eyJ…&amp;x=1</c> → <c>?access_token=Redacted&amp;x=1</c>.</summary>
    public static string RedactQuery(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return "";
        }

        var parts = query.TrimStart('?').Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=');
            var name = equals < 0 ? parts[i] : parts[i][..equals];
            if (SecretParameters.Contains(Uri.UnescapeDataString(name), StringComparer.OrdinalIgnoreCase))
            {
                parts[i] = $"{name}={Redacted}";
            }
        }

        return "?" + string.Join('&', parts);
    }

    /// <summary><c>/share/7f3a…</c> → <c>/share/Redacted</c>; paths without secrets are returned as they are.</summary>
    public static string RedactPath(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return path ?? "";
        }

        var segments = path.Split('/');
        var changed = false;
        for (var i = 1; i < segments.Length; i++)
        {
            if (segments[i].Length > 0 && SecretAfter.Contains(segments[i - 1], StringComparer.OrdinalIgnoreCase))
            {
                segments[i] = Redacted;
                changed = true;
            }
        }

        return changed ? string.Join('/', segments) : path;
    }
}
