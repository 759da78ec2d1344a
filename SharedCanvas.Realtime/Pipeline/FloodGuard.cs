namespace SharedCanvas.Realtime.Pipeline;

/// <summary>What to do about one message refused for rate.</summary>
public enum FloodAnswer
{
    /// <summary>Drop it silently (an answer went out less than a second ago).</summary>
    Silent,

    /// <summary>Drop it and say so (<c>error rate_limited</c>).</summary>
    Answer,

    /// <summary>Too many refusals within ten seconds: close the socket (1008).</summary>
    Close,
}

/// <summary>
/// One socket's escalation of refusals (docs/security.md): a refused message is dropped; a refused operation
/// is always answered (naming its <c>n</c>, so that the client drops it), other refusals at most once a second,
/// and so are unknown message types; when refusals go on — <c>closeAfter</c> within ten seconds — the socket
/// closes with 1008. The answers to refused messages are thereby bounded too.
/// </summary>
public sealed class FloodGuard(int closeAfter)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AnswerInterval = TimeSpan.FromSeconds(1);

    private DateTimeOffset _windowStart;
    private int _refusals;
    private DateTimeOffset _lastAnswer;
    private DateTimeOffset _lastUnknownAnswer;

    public FloodAnswer Refused(DateTimeOffset now, bool isOperation)
    {
        if (now - _windowStart > Window)
        {
            _windowStart = now;
            _refusals = 0;
        }

        if (++_refusals >= closeAfter)
        {
            return FloodAnswer.Close;
        }

        if (isOperation || now - _lastAnswer >= AnswerInterval)
        {
            _lastAnswer = now;
            return FloodAnswer.Answer;
        }

        return FloodAnswer.Silent;
    }

    /// <summary>Whether an unknown message type may be answered now (at most once a second).</summary>
    public bool MayAnswerUnknown(DateTimeOffset now)
    {
        if (now - _lastUnknownAnswer < AnswerInterval)
        {
            return false;
        }

        _lastUnknownAnswer = now;
        return true;
    }
}
