using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharedCanvas.Web.Apis;

/// <summary>Source-generated JSON for the site's API types.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(CreateBoardRequest))]
[JsonSerializable(typeof(BoardResponse))]
[JsonSerializable(typeof(BoardResponse[]))]
[JsonSerializable(typeof(TrashedBoardResponse[]))]
[JsonSerializable(typeof(RealtimeTokenResponse))]
[JsonSerializable(typeof(RenameBoardRequest))]
[JsonSerializable(typeof(CreateLinkRequest))]
[JsonSerializable(typeof(LinkResponse))]
[JsonSerializable(typeof(LinkResponse[]))]
[JsonSerializable(typeof(MemberResponse[]))]
[JsonSerializable(typeof(MemberResponse))]
[JsonSerializable(typeof(ChangeRoleRequest))]
[JsonSerializable(typeof(AcceptedLinkResponse))]
internal sealed partial class WebJsonContext : JsonSerializerContext;
