package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mas/internal/domain"
	"mas/internal/store"
)

type clientRepo struct{ r repos }

func (r repos) Clients() store.ClientRepository { return clientRepo{r} }

// clientColumns lists every column in the order clientValues binds them
// and scanClient reads them.
const clientColumns = `oauth2_client_id, encrypted_client_secret, redirect_uris,
	grant_type_authorization_code, grant_type_refresh_token, grant_type_client_credentials, grant_type_device_code,
	client_name, logo_uri, client_uri, policy_uri, tos_uri, jwks, jwks_uri,
	id_token_signed_response_alg, userinfo_signed_response_alg,
	token_endpoint_auth_method, token_endpoint_auth_signing_alg,
	initiate_login_uri, application_type, contacts, is_static, metadata_digest, created_at`

const clientPlaceholders = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24`

func scanClient(row interface{ Scan(...any) error }) (*domain.Client, error) {
	c := &domain.Client{}
	err := row.Scan(id(&c.ID), strn(&c.EncryptedSecret), list(&c.RedirectURIs),
		boolean(&c.GrantAuthorizationCode), boolean(&c.GrantRefreshToken), boolean(&c.GrantClientCredentials), boolean(&c.GrantDeviceCode),
		strn(&c.ClientName), strn(&c.LogoURI), strn(&c.ClientURI), strn(&c.PolicyURI), strn(&c.TOSURI), strn(&c.JWKS), strn(&c.JWKSURI),
		strn(&c.IDTokenSignedResponseAlg), strn(&c.UserinfoSignedResponseAlg),
		strn(&c.TokenEndpointAuthMethod), strn(&c.TokenEndpointAuthSigningAlg),
		strn(&c.InitiateLoginURI), strn(&c.ApplicationType), list(&c.Contacts), boolean(&c.IsStatic), strn(&c.MetadataDigest),
		ts(&c.CreatedAt))
	return c, err
}

func (c clientRepo) values(cl *domain.Client) []any {
	return []any{idv(cl.ID), strp(cl.EncryptedSecret), jsonList(cl.RedirectURIs),
		cl.GrantAuthorizationCode, cl.GrantRefreshToken, cl.GrantClientCredentials, cl.GrantDeviceCode,
		strp(cl.ClientName), strp(cl.LogoURI), strp(cl.ClientURI), strp(cl.PolicyURI), strp(cl.TOSURI), strp(cl.JWKS), strp(cl.JWKSURI),
		strp(cl.IDTokenSignedResponseAlg), strp(cl.UserinfoSignedResponseAlg),
		strp(cl.TokenEndpointAuthMethod), strp(cl.TokenEndpointAuthSigningAlg),
		strp(cl.InitiateLoginURI), strp(cl.ApplicationType), jsonList(cl.Contacts), cl.IsStatic, strp(cl.MetadataDigest),
		c.r.t(cl.CreatedAt)}
}

func (c clientRepo) Add(ctx context.Context, cl *domain.Client) error {
	now := c.r.now()
	if cl.CreatedAt.IsZero() {
		cl.CreatedAt = now
	}
	cl.CreatedAt = cl.CreatedAt.UTC().Truncate(time.Microsecond)
	if cl.ID == domain.ZeroID {
		cl.ID = c.r.newID(now)
	}
	_, err := c.r.exec(ctx, `INSERT INTO oauth2_clients (`+clientColumns+`) VALUES (`+clientPlaceholders+`)`, c.values(cl)...)
	if err != nil {
		return fmt.Errorf("add oauth2 client %s: %w", cl.ID, err)
	}
	return nil
}

// UpsertStatic keeps the created_at of an existing row: the configuration
// is re-synchronised at every start, which does not make the client new.
func (c clientRepo) UpsertStatic(ctx context.Context, cl *domain.Client) error {
	if cl.ID == domain.ZeroID {
		return errors.New("upsert static oauth2 client: the configuration must give the client an ID")
	}
	if cl.CreatedAt.IsZero() {
		cl.CreatedAt = c.r.now()
	}
	cl.IsStatic = true
	var createdAt time.Time
	err := c.r.atomically(ctx, func(r repos) error {
		err := r.q.QueryRowContext(ctx, `INSERT INTO oauth2_clients (`+clientColumns+`) VALUES (`+clientPlaceholders+`)
		ON CONFLICT (oauth2_client_id) DO UPDATE SET
			encrypted_client_secret = excluded.encrypted_client_secret,
			redirect_uris = excluded.redirect_uris,
			grant_type_authorization_code = excluded.grant_type_authorization_code,
			grant_type_refresh_token = excluded.grant_type_refresh_token,
			grant_type_client_credentials = excluded.grant_type_client_credentials,
			grant_type_device_code = excluded.grant_type_device_code,
			client_name = excluded.client_name,
			logo_uri = excluded.logo_uri,
			client_uri = excluded.client_uri,
			policy_uri = excluded.policy_uri,
			tos_uri = excluded.tos_uri,
			jwks = excluded.jwks,
			jwks_uri = excluded.jwks_uri,
			id_token_signed_response_alg = excluded.id_token_signed_response_alg,
			userinfo_signed_response_alg = excluded.userinfo_signed_response_alg,
			token_endpoint_auth_method = excluded.token_endpoint_auth_method,
			token_endpoint_auth_signing_alg = excluded.token_endpoint_auth_signing_alg,
			initiate_login_uri = excluded.initiate_login_uri,
			application_type = excluded.application_type,
			contacts = excluded.contacts,
			is_static = excluded.is_static,
			metadata_digest = excluded.metadata_digest
		RETURNING created_at`, c.values(cl)...).Scan(ts(&createdAt))
		if err != nil {
			return r.mapErr(err)
		}
		// The client may have been cached by every process with its old
		// settings (redirect URIs, secret, grant types).
		return r.invalidate(ctx, store.InvalidateClient, cl.ID)
	})
	if err != nil {
		return fmt.Errorf("upsert static oauth2 client %s: %w", cl.ID, err)
	}
	cl.CreatedAt = createdAt
	return nil
}

func (c clientRepo) Lookup(ctx context.Context, clientID domain.ID) (*domain.Client, error) {
	return queryOne(ctx, c.r, scanClient, `SELECT `+clientColumns+` FROM oauth2_clients WHERE oauth2_client_id = $1`, idv(clientID))
}

func (c clientRepo) FindByMetadataDigest(ctx context.Context, digest string) (*domain.Client, error) {
	return queryOne(ctx, c.r, scanClient, `SELECT `+clientColumns+` FROM oauth2_clients WHERE metadata_digest = $1`, digest)
}

func (c clientRepo) ListStatic(ctx context.Context) ([]*domain.Client, error) {
	return queryAll(ctx, c.r, scanClient, `SELECT `+clientColumns+` FROM oauth2_clients WHERE is_static = $1 ORDER BY oauth2_client_id`, true)
}

// Delete relies on the schema's ON DELETE CASCADE for the grants,
// sessions and tokens issued to the client. The sessions still live are
// invalidated (clientSessionsEnded).
func (c clientRepo) Delete(ctx context.Context, clientID domain.ID) error {
	err := c.r.atomically(ctx, func(r repos) error {
		if err := r.clientSessionsEnded(ctx, clientID); err != nil {
			return err
		}
		n, err := r.exec(ctx, `DELETE FROM oauth2_clients WHERE oauth2_client_id = $1`, idv(clientID))
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return r.invalidate(ctx, store.InvalidateClient, clientID)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete oauth2 client %s: %w", clientID, err)
	}
	return err
}
