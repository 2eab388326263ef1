package sqlstore

// Placeholders until the compat and personal repositories are written.

import "mas/internal/store"

func (r repos) CompatSessions() store.CompatSessionRepository             { return nil }
func (r repos) CompatAccessTokens() store.CompatAccessTokenRepository     { return nil }
func (r repos) CompatRefreshTokens() store.CompatRefreshTokenRepository   { return nil }
func (r repos) CompatSSOLogins() store.CompatSSOLoginRepository           { return nil }
func (r repos) PersonalSessions() store.PersonalSessionRepository         { return nil }
func (r repos) PersonalAccessTokens() store.PersonalAccessTokenRepository { return nil }
