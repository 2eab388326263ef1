package sqlstore

// Placeholders until the OAuth 2.0 repositories are written.

import "mas/internal/store"

func (r repos) Clients() store.ClientRepository                         { return nil }
func (r repos) AuthorizationGrants() store.AuthorizationGrantRepository { return nil }
func (r repos) DeviceCodeGrants() store.DeviceCodeGrantRepository       { return nil }
func (r repos) Sessions() store.SessionRepository                       { return nil }
func (r repos) AccessTokens() store.AccessTokenRepository               { return nil }
func (r repos) RefreshTokens() store.RefreshTokenRepository             { return nil }
