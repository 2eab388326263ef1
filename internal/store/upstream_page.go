package store

import "mas/internal/domain"

// UpstreamLinkFilter selects upstream links for a listing (the Admin
// API's); the zero value selects every link.
type UpstreamLinkFilter struct {
	// UserID and ProviderID, when not zero, keep that user's or that
	// provider's links.
	UserID, ProviderID domain.ID
	// Subject, when set, keeps the links with exactly that subject.
	Subject string
	// HumanAccountName keeps the links whose account name contains it,
	// case-insensitively.
	HumanAccountName string
}

// UpstreamProviderFilter selects upstream providers for a listing.
type UpstreamProviderFilter struct {
	// Enabled, when set, keeps the enabled (or the disabled) providers.
	Enabled *bool
}
