using Microsoft.AspNetCore.Identity;

namespace SharedCanvas.Web.Model;

/// <summary>A person with an account on the site.</summary>
public sealed class AppUser : IdentityUser
{
}
