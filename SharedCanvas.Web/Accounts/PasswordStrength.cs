using Jint;
using Jint.Native;

namespace SharedCanvas.Web.Accounts;

/// <summary>A password's strength: zxcvbn's score (0–4), whether it is enough, its warning and its suggestions.</summary>
public sealed record PasswordEstimate(int Score, bool Acceptable, string? Warning, IReadOnlyList<string> Suggestions);

/// <summary>
/// zxcvbn-ts, run by the site itself: the same bundle the register page loads (client/password-strength.mjs,
/// built into wwwroot/lib/password-strength.js and embedded here), executed in Jint, so that what the page
/// shows as the person types is exactly what the server decides. The interpreter holds the dictionaries
/// (~60 MB); it is made on first use (about a second) and let go after ten idle minutes. One estimate runs at
/// a time (an engine is single-threaded); an estimate takes tens of milliseconds, and only sign-ups and
/// password changes ask for one.
/// </summary>
public sealed class PasswordStrength : IDisposable
{
    public const string ResourceName = "password-strength.js";

    private static readonly TimeSpan IdleRelease = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly Timer _release;
    private Engine? _engine;
    private JsValue _estimate = JsValue.Undefined;
    private DateTime _lastUsed;

    public PasswordStrength()
    {
        _release = new Timer(_ => ReleaseIfIdle(), null, IdleRelease, IdleRelease);
    }

    /// <summary>Whether the bundle was embedded (a site that cannot judge passwords must not start).</summary>
    public static bool IsAvailable
    {
        get
        {
            using var stream = typeof(PasswordStrength).Assembly.GetManifestResourceStream(ResourceName);
            return stream is not null;
        }
    }

    /// <summary>
    /// The estimate for <paramref name="password"/>, judged against <paramref name="userInputs"/> and the site's words
    /// (what an attacker would try first); one that contains any of <paramref name="forbidden"/> whole (the user's
    /// name) scores at most 1. What is acceptable (score 3 and up) is the bundle's rule, the page's too.
    /// </summary>
    public PasswordEstimate Estimate(string password, IEnumerable<string?> userInputs, IEnumerable<string?> forbidden)
    {
        lock (_gate)
        {
            var engine = _engine ??= Load(out _estimate);
            _lastUsed = DateTime.UtcNow;
            var result = engine.Invoke(_estimate, password, Strings(engine, userInputs), Strings(engine, forbidden)).AsObject();
            var warning = result.Get("warning");
            return new PasswordEstimate(
                (int)result.Get("score").AsNumber(),
                result.Get("acceptable").AsBoolean(),
                warning.IsNull() || warning.IsUndefined() ? null : warning.AsString(),
                [.. result.Get("suggestions").AsArray().Select(s => s.AsString())]);
        }
    }

    private static JsArray Strings(Engine engine, IEnumerable<string?> values) =>
        new(engine, [.. values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => (JsValue)v!)]);

    private static Engine Load(out JsValue estimate)
    {
        using var stream = typeof(PasswordStrength).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded {ResourceName} is missing (the Web project's build makes it with npm).");
        using var reader = new StreamReader(stream);
        var engine = new Engine(options => options.Strict().TimeoutInterval(TimeSpan.FromSeconds(10)));
        engine.Execute(reader.ReadToEnd());
        estimate = engine.GetValue("PasswordStrength").Get("estimate");
        return engine;
    }

    private void ReleaseIfIdle()
    {
        lock (_gate)
        {
            if (_engine is not null && DateTime.UtcNow - _lastUsed > IdleRelease)
            {
                _engine.Dispose();
                _engine = null;
                _estimate = JsValue.Undefined;
            }
        }
    }

    public void Dispose()
    {
        _release.Dispose();
        lock (_gate)
        {
            _engine?.Dispose();
            _engine = null;
        }
    }
}
