package sqlstore

import (
	"context"

	"mas/internal/domain"
	"mas/internal/store"
)

func (c clientRepo) ListPage(ctx context.Context, f store.ClientFilter, p store.Page) ([]*domain.Client, error) {
	return listPage(ctx, c.r, scanClient, clientColumns, "oauth2_clients", "oauth2_client_id", clientConds(f), p)
}

func (c clientRepo) CountFiltered(ctx context.Context, f store.ClientFilter) (int, error) {
	return countWhere(ctx, c.r, "oauth2_clients", clientConds(f))
}

// grantColumns maps the grant types a client can hold to their column.
var grantColumns = map[string]string{
	"authorization_code": "grant_type_authorization_code",
	"refresh_token":      "grant_type_refresh_token",
	"client_credentials": "grant_type_client_credentials",
	"urn:ietf:params:oauth:grant-type:device_code": "grant_type_device_code",
}

// clientConds turns a filter into conditions.
func clientConds(f store.ClientFilter) conds {
	var c conds
	switch f.Kind {
	case store.ClientKindStatic:
		c.add("is_static = $%d", true)
	case store.ClientKindDynamic:
		c.add("is_static = $%d", false)
	}
	if f.ClientName != "" {
		c.add(`LOWER(client_name) LIKE $%d ESCAPE '\'`, contains(f.ClientName))
	}
	if f.ClientURI != "" {
		c.add(`LOWER(client_uri) LIKE $%d ESCAPE '\'`, contains(f.ClientURI))
	}
	if f.GrantType != "" {
		if col, ok := grantColumns[f.GrantType]; ok {
			c.add(col+" = $%d", true)
		} else {
			c.raw("1 = 0")
		}
	}
	active := `EXISTS (SELECT 1 FROM oauth2_sessions s
		WHERE s.oauth2_client_id = oauth2_clients.oauth2_client_id AND s.finished_at IS NULL)`
	c.either(f.HasActiveSessions, active, "NOT "+active)
	return c
}
