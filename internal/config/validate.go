package config

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/oklog/ulid/v2"
)

// Validate checks the rules that the YAML shape cannot express (exclusive
// keys, URL syntax, cross-field constraints) and returns every problem as a
// Problems error. It touches the filesystem only to check that files named
// by `*_file` keys can be read, so `config check` catches a wrong path
// before the server needs the secret.
func (c *Config) Validate() error {
	v := &validator{}
	v.enums(reflect.ValueOf(c).Elem(), "")
	c.HTTP.validate(v)
	c.Database.validate(v)
	c.Telemetry.validate(v)
	c.Email.validate(v)
	c.Secrets.validate(v)
	c.Passwords.validate(v)
	c.Matrix.validate(v)
	c.Policy.validate(v)
	c.RateLimiting.validate(v)
	validateClients(v, c.Clients)
	c.UpstreamOAuth2.validate(v)
	c.Branding.validate(v)
	c.Captcha.validate(v)
	c.Experimental.validate(v)
	return v.probs.err()
}

type validator struct {
	probs Problems
}

func (v *validator) add(path, format string, args ...any) {
	v.probs.add(path, format, args...)
}

// absoluteURL checks an optional URL setting.
func (v *validator) absoluteURL(path, raw string) {
	if raw == "" {
		return
	}
	if msg := absoluteURLProblem(raw); msg != "" {
		v.add(path, "%s", msg)
	}
}

// requiredURL checks a URL setting that must be present.
func (v *validator) requiredURL(path, raw string) {
	if raw == "" {
		v.add(path, "required, must be an absolute URL")
		return
	}
	v.absoluteURL(path, raw)
}

// httpURL checks a required base URL that MAS sends HTTP requests to or
// builds links from. Go (like upstream) parses "localhost:8008" as a URL with
// the scheme "localhost", which would only fail later at run time.
func (v *validator) httpURL(path, raw string) {
	if raw == "" {
		v.add(path, "required, must be an absolute http or https URL")
		return
	}
	if msg := absoluteURLProblem(raw); msg != "" {
		v.add(path, "%s", msg)
		return
	}
	if u, _ := url.Parse(raw); u.Scheme != "http" && u.Scheme != "https" {
		v.add(path, "invalid URL %q: must be an http or https URL", raw)
	}
}

func absoluteURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("invalid URL %q: %v", raw, unwrapURLError(err))
	}
	if u.Scheme == "" {
		return fmt.Sprintf("invalid URL %q: must be absolute (with a scheme such as https://)", raw)
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host == "" {
		return fmt.Sprintf("invalid URL %q: missing host", raw)
	}
	return ""
}

// exactlyOne checks a `name` / `name_file` pair where one must be given.
// The messages follow upstream's wording, which operators may search for.
func (v *validator) exactlyOne(path, name, value, file string) {
	switch {
	case value == "" && file == "":
		v.add(path, "Missing `%s` or `%s_file`", name, name)
	case value != "" && file != "":
		v.add(path, "Cannot specify both `%s` and `%s_file`", name, name)
	default:
		v.readable(joinPath(path, name+"_file"), file)
	}
}

// atMostOne checks an optional `name` / `name_file` pair.
func (v *validator) atMostOne(path, name, value, file string) {
	if value != "" && file != "" {
		v.add(path, "Cannot specify both `%s` and `%s_file`", name, name)
		return
	}
	v.readable(joinPath(path, name+"_file"), file)
}

// readable reports a file that cannot be opened for reading.
func (v *validator) readable(path, file string) {
	if file == "" {
		return
	}
	if err := checkReadable(file); err != nil {
		v.add(path, "%v", err)
	}
}

func (v *validator) readableDir(path, dir string) {
	if dir == "" {
		return
	}
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		v.add(path, "cannot read directory %q: %v", dir, unwrapPathError(err))
	case !st.IsDir():
		v.add(path, "%q is not a directory", dir)
	default:
		if _, err := os.ReadDir(dir); err != nil {
			v.add(path, "cannot read directory %q: %v", dir, unwrapPathError(err))
		}
	}
}

// ulid checks an identifier that upstream parses as a ULID.
func (v *validator) ulid(path, id string) {
	if id == "" {
		v.add(path, "required, must be a ULID")
		return
	}
	if _, err := ulid.ParseStrict(id); err != nil {
		v.add(path, "invalid ULID %q: must be 26 characters of Crockford base32", id)
	}
}

// enums walks the whole configuration and reports enumeration values that
// are not allowed. Load already rejects them; this catches configurations
// built in code.
func (v *validator) enums(rv reflect.Value, path string) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			v.enums(rv.Elem(), path)
		}
	case reflect.Struct:
		info := fieldsOf(rv.Type())
		for _, f := range info.list {
			v.enums(rv.Field(f.index), joinPath(path, f.name))
		}
	case reflect.Slice:
		for i := range rv.Len() {
			v.enums(rv.Index(i), indexPath(path, i))
		}
	case reflect.String:
		if e, ok := rv.Interface().(enumeration); ok {
			if s := rv.String(); s != "" && !slices.Contains(e.enumValues(), s) {
				v.add(path, "unknown value %q, expected one of: %s", s, strings.Join(e.enumValues(), ", "))
			}
		}
	}
}
