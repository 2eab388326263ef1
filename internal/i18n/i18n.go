// Package i18n holds the message catalogs of the pages and emails and picks
// a language for each request.
//
// A catalog is a JSON file per language, named by its BCP 47 tag
// (en.json, pt-BR.json), or several: en.account.json and en.json are both
// English, merged (a key must not be in two of them). Each key maps to a message, or, for messages that
// depend on a number, to an object of CLDR plural forms ("one", "other",
// …) chosen by the "count" argument. Messages name their arguments in
// braces: "Signed in as {username}". English ships in the binary and is
// the fallback for every key; a directory (templates.translations_path)
// may add languages or override messages, so adding a language is a data
// change only.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var embedded embed.FS

// Fallback is the language every key must exist in.
const Fallback = "en"

// message is one catalog entry: a plain text, or plural forms.
type message struct {
	text   string
	plural map[string]string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.text); err == nil {
		return nil
	}
	if err := json.Unmarshal(b, &m.plural); err != nil {
		return errors.New("a message must be a string or an object of plural forms")
	}
	if _, ok := m.plural["other"]; !ok {
		return errors.New(`plural forms must include "other"`)
	}
	for form := range m.plural {
		if !slices.Contains(pluralForms, form) {
			return fmt.Errorf("unknown plural form %q (want one of %s)", form, strings.Join(pluralForms, ", "))
		}
	}
	return nil
}

var pluralForms = []string{"zero", "one", "two", "few", "many", "other"}

// Catalog is every loaded language. It is read-only once loaded.
type Catalog struct {
	// Skipped names the files of the translations directory that were
	// not loaded, each with the reason, for a warning at start.
	Skipped []string

	tags     []language.Tag // tags[0] is the fallback
	locales  map[language.Tag]*Locale
	matcher  language.Matcher
	fallback *Locale
}

// Locale is the catalog of one language, with the fallback behind it.
type Locale struct {
	tag      language.Tag
	messages map[string]message
	fallback *Locale // nil for the fallback itself
}

// Default is the embedded catalog alone, for code without a configuration
// (tests, samples).
var Default = mustLoadEmbedded()

func mustLoadEmbedded() *Catalog {
	c, err := Load("")
	if err != nil {
		panic(err) // the embedded files are checked by the package's tests
	}
	return c
}

// Load reads the embedded catalogs and then, when dir is not empty and
// exists, every *.json file in it: a language the binary ships is
// overridden key by key, another one is added. A missing dir is not an
// error (upstream's default path rarely exists). A file in dir that is not
// a catalog of ours (upstream MAS's translation files, say, which an
// operator's configuration may still point at) is skipped and named in
// Skipped, so that the service starts in English rather than not at all.
func Load(dir string) (*Catalog, error) {
	files := map[string]map[string]message{}
	if _, err := readDir(embedded, "locales", files); err != nil {
		return nil, err
	}
	var skipped []string
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			if skipped, err = readDir(os.DirFS(dir), ".", files); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("translations: %w", err)
		}
	}
	if _, ok := files[Fallback]; !ok {
		return nil, fmt.Errorf("translations: no %s catalog", Fallback)
	}
	c := &Catalog{locales: map[language.Tag]*Locale{}, Skipped: skipped}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	fallbackTag := language.Make(Fallback)
	c.fallback = &Locale{tag: fallbackTag, messages: files[Fallback]}
	c.tags = []language.Tag{fallbackTag}
	c.locales[fallbackTag] = c.fallback
	for _, name := range names {
		if name == Fallback {
			continue
		}
		tag, err := language.Parse(name)
		if err != nil {
			c.Skipped = append(c.Skipped, fmt.Sprintf("%s.json: %q is not a language tag", name, name))
			continue
		}
		c.tags = append(c.tags, tag)
		c.locales[tag] = &Locale{tag: tag, messages: files[name], fallback: c.fallback}
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// readDir merges every catalog file of dir into into. Files that cannot
// be read are an error; files that are not catalogs are returned as
// skipped, each with the reason.
func readDir(fsys fs.FS, dir string, into map[string]map[string]message) (skipped []string, err error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("translations: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok {
			continue
		}
		// en.account.json is part of the English catalog.
		name, _, _ = strings.Cut(name, ".")
		raw, err := fs.ReadFile(fsys, filepath.ToSlash(filepath.Join(dir, e.Name())))
		if err != nil {
			return nil, fmt.Errorf("translations: %w", err)
		}
		var messages map[string]message
		if err := json.Unmarshal(raw, &messages); err != nil {
			if dir == "locales" { // our own embedded files
				return nil, fmt.Errorf("translations: %s: %w", e.Name(), err)
			}
			skipped = append(skipped, fmt.Sprintf("%s: not a catalog of this service: %v", e.Name(), err))
			continue
		}
		if dir == "locales" {
			for k := range messages {
				if _, dup := into[name][k]; dup {
					return nil, fmt.Errorf("translations: %s: %q is defined in another %s file too", e.Name(), k, name)
				}
			}
		}
		if into[name] == nil {
			into[name] = map[string]message{}
		}
		for k, m := range messages {
			into[name][k] = m
		}
	}
	return skipped, nil
}

// Languages lists the loaded languages, the fallback first.
func (c *Catalog) Languages() []string {
	out := make([]string, len(c.tags))
	for i, t := range c.tags {
		out[i] = t.String()
	}
	return out
}

// Match picks the best language for an Accept-Language header (or a
// stored preference such as "fr"); the fallback when nothing matches.
func (c *Catalog) Match(acceptLanguage string) *Locale {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return c.fallback
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return c.fallback
	}
	return c.locales[c.tags[i]]
}

// Keys lists the fallback's keys, sorted: every key a template may use.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.fallback.messages))
	for k := range c.fallback.messages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Lang is the locale's BCP 47 tag, for <html lang> and stored preferences.
func (l *Locale) Lang() string { return l.tag.String() }

// T formats the message key with args, given as name/value pairs:
// T("sessions.count", "count", 3). A key missing from this language comes
// from the fallback; a key missing there, a malformed argument list or a
// placeholder without an argument is an error, which makes template
// rendering (and `templates check`) fail rather than show a raw key.
func (l *Locale) T(key string, args ...any) (string, error) {
	m, loc, ok := l.lookup(key)
	if !ok {
		return "", fmt.Errorf("i18n: no message %q", key)
	}
	if len(args)%2 != 0 {
		return "", fmt.Errorf("i18n: %q: arguments must be name/value pairs", key)
	}
	values := make(map[string]string, len(args)/2)
	var count any
	for i := 0; i < len(args); i += 2 {
		name, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("i18n: %q: argument name %v is not a string", key, args[i])
		}
		values[name] = fmt.Sprint(args[i+1])
		if name == "count" {
			count = args[i+1]
		}
	}
	text := m.text
	if m.plural != nil {
		if count == nil {
			return "", fmt.Errorf("i18n: %q has plural forms but no count argument", key)
		}
		text = m.plural[loc.pluralForm(count)]
		if text == "" {
			text = m.plural["other"]
		}
	}
	return substitute(key, text, values)
}

func (l *Locale) lookup(key string) (message, *Locale, bool) {
	for loc := l; loc != nil; loc = loc.fallback {
		if m, ok := loc.messages[key]; ok {
			return m, loc, true
		}
	}
	return message{}, nil, false
}

// pluralForm is the CLDR plural category of n in this language.
func (l *Locale) pluralForm(n any) string {
	i, err := strconv.Atoi(fmt.Sprint(n))
	if err != nil {
		return "other"
	}
	if i < 0 {
		i = -i
	}
	switch plural.Cardinal.MatchPlural(l.tag, i, 0, 0, 0, 0) {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	default:
		return "other"
	}
}

// substitute replaces {name} placeholders. "{{" is a literal brace.
func substitute(key, text string, values map[string]string) (string, error) {
	if !strings.Contains(text, "{") {
		return text, nil
	}
	var b strings.Builder
	for len(text) > 0 {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:i])
		text = text[i:]
		if strings.HasPrefix(text, "{{") {
			b.WriteByte('{')
			text = text[2:]
			continue
		}
		j := strings.IndexByte(text, '}')
		if j < 0 {
			return "", fmt.Errorf("i18n: %q: unclosed placeholder", key)
		}
		name := text[1:j]
		v, ok := values[name]
		if !ok {
			return "", fmt.Errorf("i18n: %q: no argument for {%s}", key, name)
		}
		b.WriteString(v)
		text = text[j+1:]
	}
	return b.String(), nil
}
