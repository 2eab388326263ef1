package sqlstore

// Placeholders until the upstream, registration, recovery and policy-data
// repositories (and browser-session authentications) are written.

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

func (r repos) UpstreamProviders() store.UpstreamProviderRepository       { return nil }
func (r repos) UpstreamLinks() store.UpstreamLinkRepository               { return nil }
func (r repos) UpstreamSessions() store.UpstreamSessionRepository         { return nil }
func (r repos) Registrations() store.RegistrationRepository               { return nil }
func (r repos) RegistrationTokens() store.RegistrationTokenRepository     { return nil }
func (r repos) EmailAuthentications() store.EmailAuthenticationRepository { return nil }
func (r repos) Recovery() store.RecoveryRepository                        { return nil }
func (r repos) PolicyData() store.PolicyDataRepository                    { return nil }

func (b browserSessionRepo) Authenticate(ctx context.Context, sessionID domain.ID, passwordID, upstreamSessionID *domain.ID) (*domain.Authentication, error) {
	return nil, nil
}

func (b browserSessionRepo) LastAuthentication(ctx context.Context, sessionID domain.ID) (*domain.Authentication, error) {
	return nil, nil
}
