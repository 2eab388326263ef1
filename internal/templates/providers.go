package templates

import "strings"

// ProviderButton is an upstream sign-in provider (upstream_oauth2) as the
// login and registration pages offer it: "Continue with <Name>".
type ProviderButton struct {
	// Name is the provider's human_name, else its brand's name, else the
	// issuer's host, else its ID.
	Name string
	// Brand is a brand whose mark base.html draws (see ProviderBrand); ""
	// shows the generic sign-in mark.
	Brand string
	// Href starts the login at the provider; it carries the page's
	// post-authentication action.
	Href string
}

// LinkedAccount is one of the user's upstream links on the account page.
type LinkedAccount struct {
	// ProviderName and Brand are as in ProviderButton.
	ProviderName string
	Brand        string
	// AccountName is the link's human_account_name (claims_imports
	// account_name), "" when the provider gave none.
	AccountName string
	Since       Moment
	// ProviderDisabled is set when the provider is no longer configured:
	// the link stays, but cannot be used to sign in.
	ProviderDisabled bool
}

// brandNames are the brands with a mark of their own (upstream's list for
// brand_name) and how they are spelt when a provider has no human_name.
var brandNames = map[string]string{
	"apple":    "Apple",
	"facebook": "Facebook",
	"github":   "GitHub",
	"gitlab":   "GitLab",
	"google":   "Google",
	"twitter":  "Twitter",
}

// ProviderBrand returns the brand whose mark a provider with this
// brand_name shows, or "" for the generic mark. Brand names are compared
// without regard to case, as operators write "GitHub" as often as "github".
func ProviderBrand(brandName string) string {
	b := strings.ToLower(strings.TrimSpace(brandName))
	if _, ok := brandNames[b]; ok {
		return b
	}
	return ""
}

// BrandDisplayName is how a known brand is spelt ("GitHub"); brandName
// itself for others.
func BrandDisplayName(brandName string) string {
	if n, ok := brandNames[ProviderBrand(brandName)]; ok {
		return n
	}
	return strings.TrimSpace(brandName)
}

// sampleProviders are the provider buttons of the samples: every brand,
// and a provider of no known brand.
func sampleProviders(query string) []ProviderButton {
	href := func(id string) string { return "/prefix/upstream/authorize/" + id + query }
	return []ProviderButton{
		{Name: "Google", Brand: "google", Href: href("01HFVBY12TMNTYTBV8W921M5FA")},
		{Name: "GitHub", Brand: "github", Href: href("01HFVBY12TMNTYTBV8W921M5FB")},
		{Name: "GitLab", Brand: "gitlab", Href: href("01HFVBY12TMNTYTBV8W921M5FC")},
		{Name: "Apple", Brand: "apple", Href: href("01HFVBY12TMNTYTBV8W921M5FD")},
		{Name: "Facebook", Brand: "facebook", Href: href("01HFVBY12TMNTYTBV8W921M5FE")},
		{Name: "Twitter", Brand: "twitter", Href: href("01HFVBY12TMNTYTBV8W921M5FF")},
		{Name: "Example <Corp> SSO", Href: href("01HFVBY12TMNTYTBV8W921M5FG")},
	}
}

func sampleLinkedAccounts() []LinkedAccount {
	return []LinkedAccount{
		{
			ProviderName: "GitHub", Brand: "github", AccountName: "alice-l",
			Since: Moment{Relative: Msg("account.time.days_ago", "count", 12), Absolute: "2026-02-20 09:15 UTC", ISO: "2026-02-20T09:15:00Z"},
		},
		{
			ProviderName: "Example <Corp> SSO", AccountName: "alice@corp.example",
			Since: Moment{Relative: Msg("account.time.months_ago", "count", 3), Absolute: "2025-12-01 10:00 UTC", ISO: "2025-12-01T10:00:00Z"},
		},
		{
			ProviderName: "Old IdP", ProviderDisabled: true,
			Since: Moment{Relative: Msg("account.time.years_ago", "count", 2), Absolute: "2024-01-02 03:04 UTC", ISO: "2024-01-02T03:04:00Z"},
		},
	}
}
