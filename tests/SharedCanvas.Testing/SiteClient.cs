using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace SharedCanvas.Testing;

/// <summary>A realtime token as the site hands it out.</summary>
public sealed record RealtimeToken(
    [property: JsonPropertyName("accessToken")] string AccessToken,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("url")] string Url);

/// <summary>
/// A person on the site, driving it as a browser does: the Razor pages with their antiforgery tokens and
/// the sign-in cookie, and the board page's calls to the API.
/// </summary>
public sealed partial class SiteClient : IDisposable
{
    private readonly CookieContainer _cookies = new();

    private SiteClient(Uri site, string userName)
    {
        Site = site;
        UserName = userName;
        Http = new HttpClient(new HttpClientHandler { CookieContainer = _cookies, AllowAutoRedirect = false }) { BaseAddress = site };
    }

    public Uri Site { get; }

    public string UserName { get; }

    public HttpClient Http { get; }

    public static async Task<SiteClient> RegisterAsync(Uri site, string userName, string password)
    {
        var client = new SiteClient(site, userName);
        var response = await client.PostFormAsync("/account/register", new()
        {
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = password,
        });
        client.ExpectRedirect(response, "registration");
        return client;
    }

    public static async Task<SiteClient> SignInAsync(Uri site, string userName, string password)
    {
        var client = new SiteClient(site, userName);
        var response = await client.PostFormAsync("/account/login", new()
        {
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        });
        client.ExpectRedirect(response, "sign-in");
        return client;
    }

    /// <summary>Creates a board through the "My boards" page; returns its id.</summary>
    public async Task<string> CreateBoardAsync(string? name = null)
    {
        var response = await PostFormAsync("/boards?handler=Create", new() { ["Name"] = name ?? Names.NewBoardName() });
        ExpectRedirect(response, "board creation");
        return response.Headers.Location!.OriginalString.Split('/').Last();
    }

    /// <summary>Opens the board page and asks for a realtime token the way its script does.</summary>
    public async Task<RealtimeToken> GetRealtimeTokenAsync(string boardId)
    {
        var page = await Http.GetStringAsync($"/boards/{boardId}");
        var antiforgery = BoardAntiforgery().Match(page);
        if (!antiforgery.Success)
        {
            throw new InvalidOperationException("The board page carries no antiforgery token.");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{boardId}/realtime-token");
        request.Headers.Add("RequestVerificationToken", WebUtility.HtmlDecode(antiforgery.Groups[1].Value));
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RealtimeToken>())!;
    }

    /// <summary>Calls the site's API as the pages' scripts do: the sign-in cookie plus the antiforgery header.</summary>
    public async Task<HttpResponseMessage> ApiAsync(HttpMethod method, string path, object? body = null)
    {
        var page = await Http.GetStringAsync("/boards");
        var antiforgery = BoardAntiforgery().Match(page);
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("RequestVerificationToken", WebUtility.HtmlDecode(antiforgery.Groups[1].Value));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await Http.SendAsync(request);
    }

    /// <summary>Creates a share link for one of this person's boards; returns its id (the secret in its URL).</summary>
    public async Task<string> CreateShareLinkAsync(string boardId, string role)
    {
        using var response = await ApiAsync(HttpMethod.Post, $"/api/boards/{boardId}/links", new { role });
        response.EnsureSuccessStatusCode();
        return (string)(await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["id"]!;
    }

    /// <summary>Opens a share link and confirms joining, through the page, as a person would.</summary>
    public async Task<HttpResponseMessage> AcceptShareLinkAsync(string linkId) =>
        await PostFormAsync($"/share/{linkId}", []);

    /// <summary>Shares the board with <paramref name="other"/> in <paramref name="role"/> through a link.</summary>
    public async Task ShareWithAsync(string boardId, SiteClient other, string role = "editor")
    {
        using var response = await other.AcceptShareLinkAsync(await CreateShareLinkAsync(boardId, role));
        other.ExpectRedirect(response, "joining through a share link");
    }

    /// <summary>The user id of <paramref name="member"/> in the board's member list (as the owner sees it).</summary>
    public async Task<string> MemberIdAsync(string boardId, SiteClient member)
    {
        using var response = await ApiAsync(HttpMethod.Get, $"/api/boards/{boardId}/members");
        response.EnsureSuccessStatusCode();
        var members = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonArray>())!;
        return (string)members.Single(m => (string?)m!["userName"] == member.UserName)!["userId"]!;
    }

    /// <summary>Withdraws <paramref name="member"/>'s access to one of this person's boards.</summary>
    public async Task RemoveMemberAsync(string boardId, SiteClient member)
    {
        using var response = await ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}/members/{await MemberIdAsync(boardId, member)}");
        response.EnsureSuccessStatusCode();
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields)
    {
        var form = await Http.GetStringAsync(path);
        var token = FormAntiforgery().Match(form);
        if (!token.Success)
        {
            throw new InvalidOperationException($"The form at {path} carries no antiforgery token.");
        }

        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        return await Http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    /// <summary>The site's cookies, for a browser context that should be signed in as this person.</summary>
    public IEnumerable<Cookie> Cookies => _cookies.GetCookies(Site).Cast<Cookie>();

    internal void ExpectRedirect(HttpResponseMessage response, string what)
    {
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            var errors = string.Join("; ", ValidationErrors().Matches(body).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)));
            throw new InvalidOperationException($"{what} for {UserName} failed with {(int)response.StatusCode}: {errors}");
        }
    }

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex FormAntiforgery();

    [GeneratedRegex("data-antiforgery=\"([^\"]+)\"")]
    private static partial Regex BoardAntiforgery();

    [GeneratedRegex("<li>([^<]+)</li>")]
    private static partial Regex ValidationErrors();
}

/// <summary>A client that does not use cookies: it signs in for a bearer token (the seed's motivation).</summary>
public sealed class ApiClient(Uri site) : IDisposable
{
    public HttpClient Http { get; } = new() { BaseAddress = site };

    public async Task<HttpResponseMessage> RequestTokenAsync(string userName, string password) =>
        await Http.PostAsJsonAsync("/api/auth/token", new { userName, password });

    public async Task SignInAsync(string userName, string password)
    {
        using var response = await RequestTokenAsync(userName, password);
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<ApiToken>();
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
    }

    public string? BearerToken => Http.DefaultRequestHeaders.Authorization?.Parameter;

    public void Dispose() => Http.Dispose();

    public sealed record ApiToken(
        [property: JsonPropertyName("accessToken")] string AccessToken,
        [property: JsonPropertyName("expiresAt")] DateTimeOffset ExpiresAt);
}
