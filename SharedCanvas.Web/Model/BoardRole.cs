namespace SharedCanvas.Web.Model;

/// <summary>What a person may do on a board; carried in realtime tokens as the <c>role</c> claim (names from the shared contract).</summary>
public static class BoardRole
{
    public const string Owner = Contracts.Roles.Owner;
    public const string Editor = Contracts.Roles.Editor;
    public const string Viewer = Contracts.Roles.Viewer;
}
