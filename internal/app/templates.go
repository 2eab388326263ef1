package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"mas/internal/config"
	"mas/internal/i18n"
	"mas/internal/templates"
)

// TemplatesMarker must exist in `templates.path` for the directory to
// override the built-in templates. Upstream's default path holds Jinja
// templates in another syntax; the marker keeps a config copied from
// upstream from pointing us at files we cannot read.
const TemplatesMarker = ".mas-go-templates"

func templateOverrideDir(cfg *config.Config, logger *slog.Logger) string {
	dir := cfg.Templates.Path
	if dir == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, TemplatesMarker)); err != nil {
		if _, statErr := os.Stat(dir); statErr == nil && logger != nil {
			logger.Info("templates.path has no "+TemplatesMarker+" marker; using the built-in templates", "path", dir)
		}
		return ""
	}
	return dir
}

func loadTemplates(cfg *config.Config, logger *slog.Logger) (*templates.Templates, error) {
	t, err := templates.Load(templateOverrideDir(cfg, logger))
	if err != nil {
		return nil, templatesError(err)
	}
	return t, nil
}

// loadTranslations reads the message catalogs: the built-in English and
// whatever `templates.translations_path` adds. Files there that are not
// catalogs of ours (upstream MAS's translations, which upstream's default
// path holds) are skipped with one line.
func loadTranslations(cfg *config.Config, logger *slog.Logger) (*i18n.Catalog, error) {
	c, err := i18n.Load(cfg.Templates.TranslationsPath)
	if err != nil {
		return nil, err
	}
	if len(c.Skipped) > 0 && logger != nil {
		logger.Info("templates.translations_path: skipped files that are not message catalogs of this service",
			"path", cfg.Templates.TranslationsPath, "count", len(c.Skipped), "first", c.Skipped[0])
	}
	return c, nil
}

// CheckTemplates loads and renders every template with its samples,
// returning how many there are.
func CheckTemplates(cfg *config.Config) (int, error) {
	t, err := loadTemplates(cfg, nil)
	if err != nil {
		return 0, err
	}
	if err := t.Check(); err != nil {
		return 0, templatesError(err)
	}
	if _, err := loadTranslations(cfg, nil); err != nil {
		return 0, err
	}
	return len(templates.Names()) + len(templates.EmailNames()), nil
}

// templatesError names the templates as the culprit, once: most errors of
// the templates package already start with "templates:".
func templatesError(err error) error {
	if strings.HasPrefix(err.Error(), "templates:") {
		return err
	}
	return fmt.Errorf("templates: %w", err)
}

// Reload re-reads what an operator may change without a restart, as
// upstream does on SIGHUP: the templates. Requests keep being served
// meanwhile (the new set is swapped in at once), and on error the old
// templates stay. It returns what was reloaded.
func (a *App) Reload() ([]string, error) {
	if err := a.Templates.Reload(); err != nil {
		return nil, templatesError(err)
	}
	return []string{"templates"}, nil
}
