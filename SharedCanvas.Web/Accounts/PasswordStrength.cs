using Jint;
using Jint.Native;

namespace SharedCanvas.Web.Accounts;

/// <summary>A password's strength: zxcvbn's score (0–4), its warning and its suggestions.</summary>
public sealed record PasswordEstimate(int Score, string? Warning, IReadOnlyList<string> Suggestions);

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
    /// <summary>The lowest score accepted: zxcvbn's "safely unguessable" (about 10^8 guesses and more).</summary>
    public const int MinimumScore = 3;

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

    public PasswordEstimate Estimate(string password, IEnumerable<string?> userInputs)
    {
        lock (_gate)
        {
            var engine = _engine ??= Load(out _estimate);
            _lastUsed = DateTime.UtcNow;
            var inputs = new JsArray(engine, [.. userInputs.Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => (JsValue)i!)]);
            var result = engine.Invoke(_estimate, password, inputs).AsObject();
            var warning = result.Get("warning");
            return new PasswordEstimate(
                (int)result.Get("score").AsNumber(),
                warning.IsNull() || warning.IsUndefined() ? null : warning.AsString(),
                [.. result.Get("suggestions").AsArray().Select(s => s.AsString())]);
        }
    }

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
