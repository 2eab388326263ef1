// Package captcha checks the challenge of the registration form with the
// configured service (captcha.service: recaptcha_v2, cloudflare_turnstile
// or hcaptcha): it tells the page which widget to embed, and verifies the
// answer the browser posted with the service's siteverify endpoint, using
// the secret key and the client's address.
package captcha

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"mas/internal/requestctx"
)

// Services, as captcha.service spells them.
const (
	RecaptchaV2         = "recaptcha_v2"
	CloudflareTurnstile = "cloudflare_turnstile"
	HCaptcha            = "hcaptcha"
)

// DefaultTimeout bounds one verification: the registration form waits for
// it, and a service that does not answer must not hold the form forever.
const DefaultTimeout = 10 * time.Second

// maxAnswerBytes bounds the form field and the service's reply; real ones
// are a few KiB.
const maxAnswerBytes = 64 << 10

// service is what differs between the providers.
type service struct {
	scriptURL     string
	verifyURL     string
	responseField string
	// widgetClass is the class of the element the service's script turns
	// into the challenge.
	widgetClass string
	// sources are the origins the page's Content-Security-Policy must
	// allow, from each provider's documentation.
	sources requestctx.PageSources
	// sendSiteKey adds the site key to the verification (hCaptcha checks
	// that the answer was made for it).
	sendSiteKey bool
}

var services = map[string]service{
	RecaptchaV2: {
		scriptURL:     "https://www.google.com/recaptcha/api.js",
		verifyURL:     "https://www.google.com/recaptcha/api/siteverify",
		responseField: "g-recaptcha-response",
		widgetClass:   "g-recaptcha",
		sources: requestctx.PageSources{
			Script: []string{"https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"},
			Frame:  []string{"https://www.google.com/recaptcha/", "https://recaptcha.google.com/recaptcha/"},
		},
	},
	CloudflareTurnstile: {
		scriptURL:     "https://challenges.cloudflare.com/turnstile/v0/api.js",
		verifyURL:     "https://challenges.cloudflare.com/turnstile/v0/siteverify",
		responseField: "cf-turnstile-response",
		widgetClass:   "cf-turnstile",
		sources: requestctx.PageSources{
			Script: []string{"https://challenges.cloudflare.com"},
			Frame:  []string{"https://challenges.cloudflare.com"},
		},
	},
	HCaptcha: {
		scriptURL:     "https://js.hcaptcha.com/1/api.js",
		verifyURL:     "https://api.hcaptcha.com/siteverify",
		responseField: "h-captcha-response",
		widgetClass:   "h-captcha",
		sources: requestctx.PageSources{
			Script:  []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
			Frame:   []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
			Style:   []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
			Connect: []string{"https://hcaptcha.com", "https://*.hcaptcha.com"},
		},
		sendSiteKey: true,
	},
}

// Widget is the page side of a captcha: what the registration form embeds.
type Widget struct {
	// Service is recaptcha_v2, cloudflare_turnstile or hcaptcha.
	Service string
	// ScriptURL is the service's script.
	ScriptURL string
	// Class is the class of the element the script turns into the
	// challenge; SiteKey goes in its data-sitekey attribute.
	Class   string
	SiteKey string
	// ResponseField is the form field the widget fills in.
	ResponseField string
	// Sources are the origins the page's Content-Security-Policy must
	// allow for the widget to load and run.
	Sources requestctx.PageSources
}

// Options configure a Verifier.
type Options struct {
	Service   string
	SiteKey   string
	SecretKey string
	// Hostname, when set, must be the host the service says the challenge
	// was solved on (the public base's host), so that an answer solved on
	// another site with the same site key is refused.
	Hostname string
	// VerifyURL replaces the service's siteverify endpoint; tests point it
	// at a local stand-in.
	VerifyURL string
	// Client sends the verifications; nil means a client of its own.
	Client *http.Client
	// Timeout bounds one verification; zero means DefaultTimeout.
	Timeout time.Duration
}

// Verifier checks answers with one service. It is safe for concurrent use.
type Verifier struct {
	svc       service
	name      string
	siteKey   string
	secretKey string
	hostname  string
	verifyURL string
	client    *http.Client
	timeout   time.Duration
}

// New returns a verifier for opts.Service.
func New(opts Options) (*Verifier, error) {
	svc, ok := services[opts.Service]
	if !ok {
		return nil, fmt.Errorf("captcha: unknown service %q", opts.Service)
	}
	if opts.SiteKey == "" || opts.SecretKey == "" {
		return nil, errors.New("captcha: site_key and secret_key are required")
	}
	v := &Verifier{
		svc: svc, name: opts.Service, siteKey: opts.SiteKey, secretKey: opts.SecretKey,
		hostname: strings.ToLower(opts.Hostname), verifyURL: svc.verifyURL, client: opts.Client, timeout: opts.Timeout,
	}
	if opts.VerifyURL != "" {
		v.verifyURL = opts.VerifyURL
	}
	if v.client == nil {
		v.client = &http.Client{}
	}
	if v.timeout <= 0 {
		v.timeout = DefaultTimeout
	}
	return v, nil
}

// Widget describes what the registration page embeds.
func (v *Verifier) Widget() Widget {
	src := v.svc.sources
	return Widget{
		Service: v.name, ScriptURL: v.svc.scriptURL, Class: v.svc.widgetClass, SiteKey: v.siteKey,
		ResponseField: v.svc.responseField,
		Sources: requestctx.PageSources{
			Script: slices.Clone(src.Script), Frame: slices.Clone(src.Frame),
			Style: slices.Clone(src.Style), Connect: slices.Clone(src.Connect),
		},
	}
}

// ErrUnavailable wraps every failure to get an answer from the service
// (unreachable, too slow, an error status, an unreadable reply, or a
// refusal of our own secret): the user is not at fault and may try again.
var ErrUnavailable = errors.New("captcha: the verification service did not give an answer")

// reply is the siteverify answer; the three services share these fields.
type reply struct {
	Success    bool     `json:"success"`
	Hostname   string   `json:"hostname"`
	ErrorCodes []string `json:"error-codes"`
}

// configErrors are error codes that blame our request, not the user's
// answer: the operator must fix the keys.
var configErrors = []string{
	"missing-input-secret", "invalid-input-secret", "sitekey-secret-mismatch",
	"invalid-sitekey", "missing-input-sitekey", "bad-request", "internal-error",
}

// Verify checks the answer r's form posted (the form must be parsed), from
// r's client address. A missing or wrong answer is (false, nil); a service
// that gives no answer is an error wrapping ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, r *http.Request) (bool, error) {
	answer := r.PostForm.Get(v.svc.responseField)
	if answer == "" || len(answer) > maxAnswerBytes {
		return false, nil
	}
	form := url.Values{"secret": {v.secretKey}, "response": {answer}}
	if ip := requestctx.ClientIP(r.Context()); ip.IsValid() {
		form.Set("remoteip", ip.WithZone("").String())
	}
	if v.svc.sendSiteKey {
		form.Set("sitekey", v.siteKey)
	}

	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.verifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := v.client.Do(req)
	if err != nil {
		// The URL holds no secret (the secret travels in the body), so
		// the transport error may be logged as it is.
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%w: %s answered %s", ErrUnavailable, v.name, res.Status)
	}
	var rep reply
	if err := json.NewDecoder(io.LimitReader(res.Body, maxAnswerBytes)).Decode(&rep); err != nil {
		return false, fmt.Errorf("%w: reading the answer of %s: %v", ErrUnavailable, v.name, err)
	}
	if !rep.Success {
		for _, code := range rep.ErrorCodes {
			if slices.Contains(configErrors, code) {
				return false, fmt.Errorf("%w: %s refused the request: %s", ErrUnavailable, v.name, strings.Join(rep.ErrorCodes, ", "))
			}
		}
		return false, nil
	}
	if v.hostname != "" && rep.Hostname != "" && !strings.EqualFold(rep.Hostname, v.hostname) {
		return false, nil
	}
	return true, nil
}
