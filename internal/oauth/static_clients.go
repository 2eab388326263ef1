package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/store"
)

// StaticClient is a client from the configuration (`clients:`). Its ID is
// fixed by the configuration, so that it survives database resets and is
// the same on every replica.
type StaticClient struct {
	// ID is the client_id: a ULID.
	ID string
	// AuthMethod is the token_endpoint_auth_method: none,
	// client_secret_basic, client_secret_post, client_secret_jwt or
	// private_key_jwt.
	AuthMethod string
	Name       string
	ClientURI  string
	// Secret is required by the client_secret_* methods and refused by the
	// others. It is stored encrypted.
	Secret string
	// JWKS (a JSON document) or JWKSURI: exactly one of them is required
	// by private_key_jwt, and neither is accepted by the other methods.
	JWKS         string
	JWKSURI      string
	RedirectURIs []string
}

// SyncReport lists the IDs of the static clients a sync touched, each list
// sorted. In a dry run it is what the sync would have done.
type SyncReport struct {
	Created   []string
	Updated   []string
	Unchanged []string
	// Deleted are the static clients no longer configured that were (or,
	// in a dry run, would be) deleted because prune was set.
	Deleted []string
	// Stale are the static clients no longer configured that were kept
	// because prune was not set.
	Stale  []string
	DryRun bool
}

// SyncStaticClients makes the static clients in the database match the
// configured ones: each configured client is created or replaced (all four
// grant types, is_static), and with prune the static clients that are no
// longer configured are deleted, together with their sessions and tokens.
// A dry run reports the same without writing anything. Everything is
// written in one transaction, so a failure changes nothing.
func SyncStaticClients(ctx context.Context, s store.Store, enc *encrypt.Encrypter, clients []StaticClient,
	prune, dryRun bool, logger *slog.Logger) (SyncReport, error) {
	if logger == nil {
		logger = slog.Default()
	}
	report := SyncReport{DryRun: dryRun}

	wanted := make([]*domain.Client, 0, len(clients))
	seen := map[domain.ID]bool{}
	for i, sc := range clients {
		c, err := staticDomainClient(sc)
		if err != nil {
			return report, fmt.Errorf("static client %d (%q): %w", i, sc.ID, err)
		}
		if seen[c.ID] {
			return report, fmt.Errorf("static client %s is configured twice", c.ID)
		}
		seen[c.ID] = true
		wanted = append(wanted, c)
	}

	apply := func(repos store.Repos) error {
		existing, err := repos.Clients().ListStatic(ctx)
		if err != nil {
			return fmt.Errorf("listing static clients: %w", err)
		}
		for _, old := range existing {
			if seen[old.ID] {
				continue
			}
			if !prune {
				report.Stale = append(report.Stale, old.ID.String())
				continue
			}
			report.Deleted = append(report.Deleted, old.ID.String())
			if dryRun {
				continue
			}
			if err := repos.Clients().Delete(ctx, old.ID); err != nil {
				return fmt.Errorf("deleting static client %s: %w", old.ID, err)
			}
		}

		for i, c := range wanted {
			old, err := repos.Clients().Lookup(ctx, c.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				report.Created = append(report.Created, c.ID.String())
			case err != nil:
				return fmt.Errorf("looking up static client %s: %w", c.ID, err)
			case sameStaticClient(enc, old, c, clients[i].Secret):
				report.Unchanged = append(report.Unchanged, c.ID.String())
				continue
			default:
				report.Updated = append(report.Updated, c.ID.String())
			}
			if dryRun {
				continue
			}
			if clients[i].Secret != "" {
				if c.EncryptedSecret, err = enc.Encrypt([]byte(clients[i].Secret)); err != nil {
					return fmt.Errorf("encrypting the secret of static client %s: %w", c.ID, err)
				}
			}
			if err := repos.Clients().UpsertStatic(ctx, c); err != nil {
				return fmt.Errorf("storing static client %s: %w", c.ID, err)
			}
		}
		return nil
	}

	var err error
	if dryRun {
		err = apply(s)
	} else {
		err = store.WithTx(ctx, s, func(tx store.Tx) error { return apply(tx) })
	}
	if err != nil {
		return SyncReport{DryRun: dryRun}, err
	}
	for _, l := range [][]string{report.Created, report.Updated, report.Unchanged, report.Deleted, report.Stale} {
		slices.Sort(l)
	}

	verb := func(done, would string) string {
		if dryRun {
			return would
		}
		return done
	}
	for _, id := range report.Created {
		logger.Info(verb("added static client", "would add static client"), "client_id", id)
	}
	for _, id := range report.Updated {
		logger.Info(verb("updated static client", "would update static client"), "client_id", id)
	}
	for _, id := range report.Deleted {
		logger.Info(verb("deleted static client", "would delete static client"), "client_id", id)
	}
	if n := len(report.Stale); n > 0 {
		logger.Warn("static clients in the database are no longer configured; sync with prune to delete them",
			"count", n, "client_ids", report.Stale)
	}
	return report, nil
}

// staticDomainClient checks a configured client and maps it, without its
// secret (encrypted only when written).
func staticDomainClient(sc StaticClient) (*domain.Client, error) {
	id, err := domain.ParseID(sc.ID)
	if err != nil {
		return nil, err
	}
	needsSecret := sc.AuthMethod == authMethodClientSecretBasic || sc.AuthMethod == authMethodClientSecretPost ||
		sc.AuthMethod == authMethodClientSecretJWT
	switch {
	case !slices.Contains(supportedAuthMethods, sc.AuthMethod):
		return nil, fmt.Errorf("unsupported client_auth_method %q", sc.AuthMethod)
	case needsSecret && sc.Secret == "":
		return nil, fmt.Errorf("client_auth_method %s needs a client_secret", sc.AuthMethod)
	case !needsSecret && sc.Secret != "":
		return nil, fmt.Errorf("client_auth_method %s takes no client_secret", sc.AuthMethod)
	case sc.AuthMethod == authMethodPrivateKeyJWT && (sc.JWKS == "") == (sc.JWKSURI == ""):
		return nil, errors.New("client_auth_method private_key_jwt needs exactly one of jwks and jwks_uri")
	case sc.AuthMethod != authMethodPrivateKeyJWT && (sc.JWKS != "" || sc.JWKSURI != ""):
		return nil, fmt.Errorf("client_auth_method %s takes no jwks or jwks_uri", sc.AuthMethod)
	case sc.JWKS != "" && !json.Valid([]byte(sc.JWKS)):
		return nil, errors.New("jwks is not valid JSON")
	}
	return &domain.Client{
		ID:                      id,
		RedirectURIs:            slices.Clone(sc.RedirectURIs),
		GrantAuthorizationCode:  true,
		GrantRefreshToken:       true,
		GrantClientCredentials:  true,
		GrantDeviceCode:         true,
		ClientName:              sc.Name,
		ClientURI:               sc.ClientURI,
		JWKS:                    sc.JWKS,
		JWKSURI:                 sc.JWKSURI,
		TokenEndpointAuthMethod: sc.AuthMethod,
		IsStatic:                true,
	}, nil
}

// sameStaticClient reports whether the stored client already is what the
// configuration asks for, so that an unchanged client is not rewritten
// (which would re-encrypt its secret with a fresh nonce at every start).
func sameStaticClient(enc *encrypt.Encrypter, old, want *domain.Client, secret string) bool {
	if !old.IsStatic ||
		!slices.Equal(old.RedirectURIs, want.RedirectURIs) ||
		old.GrantAuthorizationCode != want.GrantAuthorizationCode ||
		old.GrantRefreshToken != want.GrantRefreshToken ||
		old.GrantClientCredentials != want.GrantClientCredentials ||
		old.GrantDeviceCode != want.GrantDeviceCode ||
		old.ClientName != want.ClientName ||
		old.ClientURI != want.ClientURI ||
		!sameJSONDocument(old.JWKS, want.JWKS) ||
		old.JWKSURI != want.JWKSURI ||
		old.TokenEndpointAuthMethod != want.TokenEndpointAuthMethod ||
		// Registration-only fields a static client never has.
		old.LogoURI != "" || old.PolicyURI != "" || old.TOSURI != "" ||
		old.IDTokenSignedResponseAlg != "" || old.UserinfoSignedResponseAlg != "" ||
		old.TokenEndpointAuthSigningAlg != "" || old.InitiateLoginURI != "" ||
		old.ApplicationType != "" || len(old.Contacts) > 0 || old.MetadataDigest != "" {
		return false
	}
	if secret == "" {
		return old.EncryptedSecret == ""
	}
	if old.EncryptedSecret == "" {
		return false
	}
	stored, err := enc.Decrypt(old.EncryptedSecret)
	return err == nil && subtle.ConstantTimeCompare(stored, []byte(secret)) == 1
}

// sameJSONDocument compares JSON by value: PostgreSQL may hand back a
// document with different spacing than was stored.
func sameJSONDocument(a, b string) bool {
	if a == "" || b == "" {
		return a == b
	}
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ca, _ := json.Marshal(va)
	cb, _ := json.Marshal(vb)
	return string(ca) == string(cb)
}
