// Package chrometest drives a real, headless Chromium for the tests of the
// pages: what a user's browser does (CSP, forms, redirects, cookies,
// layout) rather than what our own Go test browser assumes. It also saves
// screenshots of the pages, in a light and a dark theme and at phone
// width, under a test output folder.
//
// The browser is Debian's chromium (MAS_TEST_CHROMIUM names another
// binary). Without one, tests skip loudly, and fail under CI=true.
package chrometest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// EnvBinary names the Chromium binary; EnvArtifacts the folder screenshots
// go to (default: test-output/browser at the repository root).
const (
	EnvBinary    = "MAS_TEST_CHROMIUM"
	EnvArtifacts = "MAS_TEST_ARTIFACTS"
)

// actionTimeout bounds one step (a navigation, a click and what it loads).
const actionTimeout = 30 * time.Second

// Viewports of the screenshots.
var (
	Desktop = Viewport{Name: "desktop", Width: 1280, Height: 900}
	Phone   = Viewport{Name: "phone", Width: 390, Height: 844, Mobile: true}
)

// Viewport is a window size.
type Viewport struct {
	Name          string
	Width, Height int64
	Mobile        bool
}

// Browser is one Chromium tab with its own profile (cookies), closed when
// the test ends.
type Browser struct {
	t   testing.TB
	ctx context.Context
	dir string // screenshots of this test
}

// New starts Chromium for the test.
func New(t testing.TB) *Browser {
	t.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		bin = "chromium"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		msg := fmt.Sprintf("chrometest: no Chromium (%s): install Debian's chromium (scripts/test-services does) or set %s", bin, EnvBinary)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED: " + msg)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(int(Desktop.Width), int(Desktop.Height)),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chrometest: starting Chromium: %v", err)
	}
	return &Browser{t: t, ctx: ctx, dir: artifactDir(t)}
}

// Do performs steps, failing the test on error.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// run performs one action that returns a value, failing the test on error.
func run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// Open navigates to url and waits for the page's body.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.Do("open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// Fill types value into the field matching selector (CSS), replacing what
// it holds.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.Do("fill "+selector, chromedp.WaitVisible(sel), chromedp.Clear(sel), chromedp.SendKeys(sel, value))
}

// Check ticks the checkbox matching selector.
func (b *Browser) Check(selector string) {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.Do("wait for "+selector, chromedp.WaitVisible(sel))
	if !run(b, "read "+selector, chromedp.JavascriptAttribute[bool](sel, "checked")) {
		b.Do("check "+selector, chromedp.Click(sel))
	}
}

// Submit clicks selector (a submit button) and waits until the page it
// leads to has loaded. The current document is tagged first, so a page
// that posts back to its own address is told from the next one.
func (b *Browser) Submit(selector string) {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.Do("mark page", chromedp.Evaluate[chromedp.Void](`window.__chrometestOld = true`))
	b.Do("submit "+selector, chromedp.Click(sel), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for {
			state, err := chromedp.Evaluate[string](`(window.__chrometestOld ? "old " : "new ") + document.readyState`)(ctx, t)
			if err == nil && state == "new complete" {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for the page after %s: %w", selector, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
}

// URL is the current address.
func (b *Browser) URL() string {
	b.t.Helper()
	return run(b, "read location", chromedp.Location())
}

// Text is the visible text of the first element matching selector.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	sel := chromedp.CSS(selector)
	b.Do("wait for "+selector, chromedp.WaitVisible(sel))
	return run(b, "read "+selector, chromedp.Text(sel))
}

// Has reports whether an element matches selector now.
func (b *Browser) Has(selector string) bool {
	b.t.Helper()
	return run(b, "count "+selector, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, selector))) > 0
}

// Eval evaluates a JavaScript expression in the page (for checks a
// selector cannot express, such as computed styles).
func Eval[T any](b *Browser, expression string) T {
	b.t.Helper()
	return run(b, "evaluate", chromedp.Evaluate[T](expression))
}

// Shots saves screenshots of the current page as name-<theme>-<viewport>.png:
// light and dark at desktop size, light and dark at phone size. The page
// is left at desktop size in the light theme.
func (b *Browser) Shots(name string) {
	b.t.Helper()
	for _, vp := range []Viewport{Desktop, Phone} {
		for _, theme := range []string{"light", "dark"} {
			b.Screenshot(name, theme, vp)
		}
	}
	b.Do("restore", b.emulate("light", Desktop))
}

// Screenshot saves one screenshot of the current page.
func (b *Browser) Screenshot(name, theme string, vp Viewport) {
	b.t.Helper()
	b.Do("emulate "+theme+" "+vp.Name, b.emulate(theme, vp), chromedp.Sleep(100*time.Millisecond))
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	file := filepath.Join(b.dir, fmt.Sprintf("%s-%s-%s.png", name, theme, vp.Name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatalf("saving %s: %v", file, err)
	}
}

// Dir is the folder the test's screenshots go to.
func (b *Browser) Dir() string { return b.dir }

func (b *Browser) emulate(theme string, vp Viewport) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}},
			})
			return err
		}),
		chromedp.EmulateViewport(vp.Width, vp.Height, func(p *emulation.SetDeviceMetricsOverrideParams, t *emulation.SetTouchEmulationEnabledParams) {
			p.Mobile = vp.Mobile
			t.Enabled = vp.Mobile
		}),
	)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// artifactDir is where the test's screenshots go, emptied first.
func artifactDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv(EnvArtifacts)
	if root == "" {
		root = filepath.Join(repoRoot(t), "test-output", "browser")
	}
	dir := filepath.Join(root, unsafeName.ReplaceAllString(t.Name(), "_"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// repoRoot finds the directory holding go.mod above the test's package.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
