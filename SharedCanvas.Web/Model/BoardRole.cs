namespace SharedCanvas.Web.Model;

/// <summary>What a person may do on a board; carried in realtime tokens as the <c>role</c> claim.</summary>
public static class BoardRole
{
    public const string Owner = "owner";
    public const string Editor = "editor";
    public const string Viewer = "viewer";
}
