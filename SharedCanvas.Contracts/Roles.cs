namespace SharedCanvas.Contracts;

/// <summary>What a person may do on a board, as the <c>role</c> claim of a realtime token names it.</summary>
public static class Roles
{
    public const string Owner = "owner";
    public const string Editor = "editor";
    public const string Viewer = "viewer";
}
