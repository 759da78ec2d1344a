namespace Microsoft.Extensions.Hosting;

/// <summary>Replaces the values of secret query parameters (tokens) before a URL is logged or traced.</summary>
public static class QueryRedaction
{
    private static readonly string[] SecretParameters = ["access_token", "token", "refresh_token", "t"];

    /// <summary><c>?access_token=eyJ…&amp;x=1</c> → <c>?access_token=Redacted&amp;x=1</c>.</summary>
    public static string Redact(string? query)
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
                parts[i] = $"{name}=Redacted";
            }
        }

        return "?" + string.Join('&', parts);
    }
}
