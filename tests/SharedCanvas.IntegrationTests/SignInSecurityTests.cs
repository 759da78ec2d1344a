using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// What the sign-in and registration forms give away and accept (docs/security.md, "The site"): a failed
/// sign-in costs the same and says the same whether or not the account exists, and guessable passwords
/// are refused with the reason. On the shared stack, whose rate limits are lifted, so that timings can be
/// sampled many times.
/// </summary>
[Collection(StackCollection.Name)]
public sealed partial class SignInSecurityTests(StackFixture stack, ITestOutputHelper output)
{
    private const int Rounds = 15;

    [Fact]
    public async Task AFailedSignInTakesAsLongAndSaysTheSameWhetherOrNotTheAccountExists()
    {
        using var person = await stack.RegisterAsync();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.WebUrl };
        var antiforgery = WebUtility.HtmlDecode(FormAntiforgery().Match(await browser.GetStringAsync("/account/login")).Groups[1].Value);
        using var api = new ApiClient(stack.WebUrl);

        async Task<(double Ms, string Answer)> FormAsync(string userName)
        {
            var watch = Stopwatch.StartNew();
            using var response = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.UserName"] = userName,
                ["Input.Password"] = "not the password",
                ["__RequestVerificationToken"] = antiforgery,
            }));
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            return (watch.Elapsed.TotalMilliseconds, $"{(int)response.StatusCode} {ValidationError().Match(body).Value}");
        }

        async Task<(double Ms, string Answer)> ApiAsync(string userName)
        {
            var watch = Stopwatch.StartNew();
            using var response = await api.RequestTokenAsync(userName, "not the password");
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            return (watch.Elapsed.TotalMilliseconds, $"{(int)response.StatusCode} {TitleOf().Match(body).Value}");
        }

        var probes = new (string Name, Func<Task<(double, string)>> Probe)[]
        {
            ("form, real account", () => FormAsync(person.UserName)),
            ("form, no such account", () => FormAsync(Names.NewUserName())),
            ("api, real account", () => ApiAsync(person.UserName)),
            ("api, no such account", () => ApiAsync(Names.NewUserName())),
        };
        var samples = probes.ToDictionary(p => p.Name, _ => new List<double>());
        var answers = probes.ToDictionary(p => p.Name, _ => new HashSet<string>());
        foreach (var (_, probe) in probes)
        {
            await probe(); // warm-up: the first call of each path pays for JIT and connections
        }

        // Interleaved, in a different order each round, so that a pause on the machine hits every path alike.
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var (name, probe) in probes.OrderBy(_ => Random.Shared.Next()))
            {
                var (ms, answer) = await probe();
                samples[name].Add(ms);
                answers[name].Add(answer);
            }
        }

        static double Median(List<double> values)
        {
            var sorted = values.Order().ToList();
            return (sorted[sorted.Count / 2] + sorted[(sorted.Count - 1) / 2]) / 2;
        }

        foreach (var (name, values) in samples)
        {
            output.WriteLine($"{name}: median {Median(values):F1} ms (min {values.Min():F1}, max {values.Max():F1}); answers: {string.Join(" | ", answers[name])}");
        }

        foreach (var surface in new[] { "form", "api" })
        {
            var real = Median(samples[$"{surface}, real account"]);
            var none = Median(samples[$"{surface}, no such account"]);
            Assert.True(Math.Min(real, none) / Math.Max(real, none) > 0.6,
                $"{surface}: a failed sign-in takes {real:F1} ms for a real account and {none:F1} ms for none");
            Assert.Equal(answers[$"{surface}, real account"], answers[$"{surface}, no such account"]);
        }
    }

    [Theory]
    [InlineData("aaaaaaaa")]
    [InlineData("Summer2024")]
    [InlineData("sharedcanvas")]
    [InlineData("{user}2024")]
    public async Task GuessablePasswordsAreRefusedWithTheReason(string password)
    {
        var userName = Names.NewUserName();
        password = password.Replace("{user}", userName, StringComparison.Ordinal);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.WebUrl };
        var antiforgery = WebUtility.HtmlDecode(FormAntiforgery().Match(await client.GetStringAsync("/account/register")).Groups[1].Value);
        using var response = await client.PostAsync("/account/register", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = password,
            ["__RequestVerificationToken"] = antiforgery,
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var error = WebUtility.HtmlDecode(ValidationError().Match(await response.Content.ReadAsStringAsync()).Groups[1].Value);
        output.WriteLine(error);
        Assert.Contains("too easy to guess", error, StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex FormAntiforgery();

    [GeneratedRegex("<li>([^<]+)</li>")]
    private static partial Regex ValidationError();

    [GeneratedRegex("\"title\":\"[^\"]*\"")]
    private static partial Regex TitleOf();
}
