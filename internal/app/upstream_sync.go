package app

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"

	"mas/internal/config"
	"mas/internal/domain"
	"mas/internal/encrypt"
	"mas/internal/store"
)

// ProviderRef names a provider in reports: its ID and human name (which
// may be empty).
type ProviderRef struct {
	ID   string
	Name string
}

func (r ProviderRef) String() string {
	if r.Name == "" {
		return r.ID
	}
	return fmt.Sprintf("%s (%s)", r.ID, r.Name)
}

// ProviderSyncReport lists the providers a sync touched, configured ones
// in the configuration's order. In a dry run it is what the sync would do.
type ProviderSyncReport struct {
	Created   []ProviderRef
	Updated   []ProviderRef
	Reenabled []ProviderRef // disabled in the database, enabled again
	Unchanged []ProviderRef
	// Disabled were enabled in the database and are disabled now: removed
	// from the configuration, or configured with `enabled: false`.
	Disabled []ProviderRef
	// Deleted are no longer configured and were deleted (with prune).
	Deleted []ProviderRef
	// Stale are no longer configured and kept, disabled (without prune).
	Stale  []ProviderRef
	DryRun bool
}

// SyncUpstreamProviders makes the upstream providers in the database match
// the configured ones, in one transaction:
//
//   - each configured provider is created, or updated when its settings or
//     secrets changed (an unchanged one is not rewritten), with its UI
//     order from the configuration's order; one configured with
//     `enabled: false` is kept up to date but disabled;
//   - a provider no longer configured is disabled, so that its links
//     survive should it come back, or, with prune, deleted together with
//     its links and login attempts;
//   - client secrets and Sign in with Apple keys are stored encrypted.
//
// A dry run reports the same and writes nothing.
func SyncUpstreamProviders(ctx context.Context, s store.Store, enc *encrypt.Encrypter, providers []config.UpstreamProvider,
	prune, dryRun bool, logger *slog.Logger) (ProviderSyncReport, error) {
	if logger == nil {
		logger = slog.Default()
	}
	wanted, err := wantedProviders(providers)
	if err != nil {
		return ProviderSyncReport{DryRun: dryRun}, err
	}
	sy := &providerSync{enc: enc, prune: prune, dryRun: dryRun, report: ProviderSyncReport{DryRun: dryRun}}
	if dryRun {
		err = sy.apply(ctx, s, wanted)
	} else {
		err = store.WithTx(ctx, s, func(tx store.Tx) error { return sy.apply(ctx, tx, wanted) })
	}
	if err != nil {
		return ProviderSyncReport{DryRun: dryRun}, err
	}
	sy.report.log(logger)
	return sy.report, nil
}

type providerSync struct {
	enc           *encrypt.Encrypter
	prune, dryRun bool
	report        ProviderSyncReport
}

func (sy *providerSync) apply(ctx context.Context, repos store.Repos, wanted []wantedProvider) error {
	repo := repos.UpstreamProviders()
	existing, err := repo.List(ctx)
	if err != nil {
		return fmt.Errorf("listing upstream providers: %w", err)
	}
	configured := map[domain.ID]bool{}
	for _, w := range wanted {
		configured[w.row.ID] = true
	}
	stored := make(map[domain.ID]*domain.UpstreamProvider, len(existing))
	for _, old := range existing {
		stored[old.ID] = old
		if configured[old.ID] {
			continue
		}
		ref := ProviderRef{ID: old.ID.String(), Name: old.HumanName}
		switch {
		case sy.prune:
			sy.report.Deleted = append(sy.report.Deleted, ref)
			if !sy.dryRun {
				if err := repo.Delete(ctx, old.ID); err != nil {
					return err
				}
			}
		case old.Enabled():
			sy.report.Disabled = append(sy.report.Disabled, ref)
			sy.report.Stale = append(sy.report.Stale, ref)
			if !sy.dryRun {
				if err := repo.Disable(ctx, old.ID); err != nil {
					return err
				}
			}
		default:
			sy.report.Stale = append(sy.report.Stale, ref)
		}
	}
	for i := range wanted {
		if err := sy.syncOne(ctx, repo, &wanted[i], stored[wanted[i].row.ID]); err != nil {
			return err
		}
	}
	return nil
}

// syncOne creates or updates one configured provider; old is its stored
// row, nil when there is none. Upsert always enables, so a provider
// configured as disabled is disabled again after being written.
func (sy *providerSync) syncOne(ctx context.Context, repo store.UpstreamProviderRepository, w *wantedProvider, old *domain.UpstreamProvider) error {
	ref := ProviderRef{ID: w.row.ID.String(), Name: w.row.HumanName}
	var write, disable bool
	if old == nil {
		sy.report.Created = append(sy.report.Created, ref)
		write, disable = true, !w.enabled
	} else {
		same, err := sy.sameProvider(old, w)
		if err != nil {
			return err
		}
		switch {
		case w.enabled && !old.Enabled():
			sy.report.Reenabled = append(sy.report.Reenabled, ref)
			write = true
		case !w.enabled && old.Enabled():
			sy.report.Disabled = append(sy.report.Disabled, ref)
			write, disable = !same, true
		case same:
			sy.report.Unchanged = append(sy.report.Unchanged, ref)
		default:
			sy.report.Updated = append(sy.report.Updated, ref)
			write, disable = true, !w.enabled
		}
	}
	if sy.dryRun {
		return nil
	}
	if write {
		row, err := sy.sealed(w)
		if err != nil {
			return err
		}
		if err := repo.Upsert(ctx, row); err != nil {
			return err
		}
	}
	if disable {
		return repo.Disable(ctx, w.row.ID)
	}
	return nil
}

// sealed is the row to write: secrets encrypted, settings encoded.
func (sy *providerSync) sealed(w *wantedProvider) (*domain.UpstreamProvider, error) {
	row := w.row
	settings := w.settings
	var err error
	if w.secret != "" {
		if row.EncryptedClientSecret, err = sy.enc.Encrypt([]byte(w.secret)); err != nil {
			return nil, fmt.Errorf("encrypting the client secret of upstream provider %s: %w", row.ID, err)
		}
	}
	if settings.SignInWithApple != nil {
		apple := *settings.SignInWithApple
		if apple.EncryptedPrivateKey, err = sy.enc.Encrypt(w.appleKey); err != nil {
			return nil, fmt.Errorf("encrypting the Sign in with Apple key of upstream provider %s: %w", row.ID, err)
		}
		settings.SignInWithApple = &apple
	}
	if row.Settings, err = settings.Encode(); err != nil {
		return nil, fmt.Errorf("upstream provider %s: %w", row.ID, err)
	}
	return &row, nil
}

// sameProvider reports whether the stored provider already is what the
// configuration asks for (its enabled state aside). Secrets are compared
// decrypted: encryption is randomised. A stored document this binary
// cannot read, or a secret it cannot decrypt, counts as a change.
func (sy *providerSync) sameProvider(old *domain.UpstreamProvider, w *wantedProvider) (bool, error) {
	want := w.row
	if old.Issuer != want.Issuer || old.HumanName != want.HumanName || old.BrandName != want.BrandName ||
		old.Scope != want.Scope || old.ClientID != want.ClientID ||
		old.TokenEndpointAuthMethod != want.TokenEndpointAuthMethod || old.UIOrder != want.UIOrder ||
		!sy.sameSecret(old.EncryptedClientSecret, []byte(w.secret)) {
		return false, nil
	}
	stored, err := old.DecodeSettings()
	if err != nil {
		return false, nil //nolint:nilerr // unreadable: counts as changed, and is rewritten
	}
	var storedKey string
	if a := stored.SignInWithApple; a != nil {
		storedKey = a.EncryptedPrivateKey
		copyA := *a
		copyA.EncryptedPrivateKey = ""
		stored.SignInWithApple = &copyA
	}
	if !sy.sameSecret(storedKey, w.appleKey) {
		return false, nil
	}
	a, err := stored.Encode()
	if err != nil {
		return false, nil //nolint:nilerr // a document with unknown values is rewritten
	}
	b, err := w.settings.Encode()
	if err != nil {
		return false, fmt.Errorf("upstream provider %s: %w", want.ID, err)
	}
	return a == b, nil
}

func (sy *providerSync) sameSecret(encrypted string, plain []byte) bool {
	if len(plain) == 0 || encrypted == "" {
		return len(plain) == 0 && encrypted == ""
	}
	got, err := sy.enc.Decrypt(encrypted)
	return err == nil && subtle.ConstantTimeCompare(got, plain) == 1
}

// ProviderChange is one provider the sync changed, with what it did (or,
// in a dry run, would do): "created", "would create", and so on.
type ProviderChange struct {
	Provider ProviderRef
	Action   string
}

// Changes lists what the sync did, provider by provider: created,
// updated, enabled again, disabled, deleted, each in report order.
func (r ProviderSyncReport) Changes() []ProviderChange {
	var out []ProviderChange
	for _, e := range []struct {
		list        []ProviderRef
		done, would string
	}{
		{r.Created, "created", "would create"},
		{r.Updated, "updated", "would update"},
		{r.Reenabled, "enabled again", "would enable again"},
		{r.Disabled, "disabled", "would disable"},
		{r.Deleted, "deleted", "would delete"},
	} {
		action := e.done
		if r.DryRun {
			action = e.would
		}
		for _, p := range e.list {
			out = append(out, ProviderChange{Provider: p, Action: action})
		}
	}
	return out
}

func (r ProviderSyncReport) log(logger *slog.Logger) {
	for _, c := range r.Changes() {
		logger.Info("upstream provider "+c.Action, "provider_id", c.Provider.ID, "human_name", c.Provider.Name)
	}
	if n := len(r.Stale); n > 0 {
		ids := make([]string, n)
		for i, p := range r.Stale {
			ids[i] = p.ID
		}
		logger.Warn("upstream providers in the database are no longer configured and stay disabled; "+
			"run `mas-cli config sync --prune` to delete them with their links", "count", n, "provider_ids", ids)
	}
}
