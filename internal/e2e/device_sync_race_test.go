package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"golang.org/x/oauth2"

	"mas/internal/domain"
	"mas/internal/homeserver/homeservertest"
	"mas/internal/testenv"
)

const (
	pathUpsertDevice = "/_synapse/mas/upsert_device"
	pathSyncDevices  = "/_synapse/mas/sync_devices"
	// raceTimeout bounds every wait of these tests; they return as soon as
	// what they wait for happens.
	raceTimeout = 30 * time.Second
)

// loginResult is what a login running in the background reports.
type loginResult struct {
	token string
	err   error
}

// raceLogins are the logins that create a device before committing the
// session holding it. Each is split in two: prepare runs on the test
// goroutine (browser steps, which may fail the test) and returns the step
// that creates the device, which runs in the background and must not touch
// t.
var raceLogins = []struct {
	name    string
	prepare func(t *testing.T, env *testenv.Env, user, password, device string) func() loginResult
}{
	{"compat", func(t *testing.T, env *testenv.Env, user, password, device string) func() loginResult {
		return func() loginResult { return compatLoginResult(env, user, password, device) }
	}},
	{"authorization code", func(t *testing.T, env *testenv.Env, user, password, device string) func() loginResult {
		conf, code, verifier := authorizeCode(t, env, user, password,
			"openid", "urn:matrix:client:api:*", "urn:matrix:client:device:"+device)
		return func() loginResult {
			tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
			if err != nil {
				return loginResult{err: err}
			}
			return loginResult{token: tok.AccessToken}
		}
	}},
}

// TestLoginSurvivesConcurrentDeviceSync reproduces the race between a login
// and a device sync for the same user (for example after another of the
// user's sessions logged out). The login creates its device on the
// homeserver before committing its session; a sync computed from the
// committed sessions alone, running in between, would push a device list
// without the new device, the homeserver would delete it, and the token the
// login then returns would be dead. The fake applies the login's
// upsert_device and holds the answer; a sync queued then must not push a
// list without the device, and its push, once the login is done, keeps it.
func TestLoginSurvivesConcurrentDeviceSync(t *testing.T) {
	for _, lg := range raceLogins {
		t.Run(lg.name, func(t *testing.T) {
			backends(t, func(t *testing.T, postgres bool) {
				env := testenv.New(t, testenv.Options{Postgres: postgres})
				const password = "a passphrase for frank"
				frank := env.CreateUser("frank", password)
				settleDeviceSyncs(t, env)
				const device = "FRANKNEWPHONE"
				deleted := watchDeletion(t, env, "frank", device)

				login := lg.prepare(t, env, "frank", password, device)
				applied, release := applyUpsertThenHold(t, env, "frank", device)
				done := make(chan loginResult, 1)
				go func() { done <- login() }()
				select {
				case <-applied:
				case r := <-done:
					t.Fatalf("the login ended before creating its device: %+v", r)
				case <-time.After(raceTimeout):
					t.Fatal("timed out waiting for the login to create its device")
				}

				// The device exists on the homeserver; the session
				// holding it is not committed yet. The sync waits for
				// the login (the device lease) rather than push a list
				// without the device.
				id := enqueueDeviceSync(t, env, frank.ID)
				release()
				var r loginResult
				select {
				case r = <-done:
				case <-time.After(raceTimeout):
					t.Fatal("timed out waiting for the login to return")
				}
				if r.err != nil {
					t.Fatalf("login: %v", r.err)
				}
				waitJobCompleted(t, env, id)
				if deleted() {
					t.Error("a sync pushed a device list without the device of a login in progress")
				}
				if !slices.Contains(env.Homeserver.Devices("frank"), device) {
					t.Fatalf("device missing on the homeserver after the login: %v", env.Homeserver.Devices("frank"))
				}
				if status, body := whoami(t, env, r.token); status != http.StatusOK || body["device_id"] != device {
					t.Fatalf("whoami with the new token = %d %v", status, body)
				}
				// The login traded its pending mark for its session.
				pending, err := env.App.Store.PendingDevices().ListActive(context.Background(), frank.ID, time.Now())
				if err != nil || len(pending) != 0 {
					t.Fatalf("pending devices after the login = %v, %v; want none", pending, err)
				}
			})
		})
	}
}

// TestDeviceSyncCatchesUpWithLogin is the other interleaving: the sync
// reads the user's devices before the login marks its device, and its
// request is held at the homeserver. The login must wait for the sync (the
// device lease) instead of creating its device in between, where the held
// push would delete it; once the sync is through, the login creates the
// device and it stays.
func TestDeviceSyncCatchesUpWithLogin(t *testing.T) {
	for _, lg := range raceLogins {
		t.Run(lg.name, func(t *testing.T) {
			backends(t, func(t *testing.T, postgres bool) {
				env := testenv.New(t, testenv.Options{Postgres: postgres})
				const password = "a passphrase for grace"
				grace := env.CreateUser("grace", password)
				settleDeviceSyncs(t, env)
				const device = "GRACETABLET"
				deleted := watchDeletion(t, env, "grace", device)

				login := lg.prepare(t, env, "grace", password, device)
				gate := env.Homeserver.Block(pathSyncDevices, "grace")
				t.Cleanup(gate.Release)
				id := enqueueDeviceSync(t, env, grace.ID)
				select {
				case <-gate.Arrived():
				case <-time.After(raceTimeout):
					t.Fatal("timed out waiting for the sync to reach the homeserver")
				}

				// The held sync was computed without the device; the
				// login starts now and must not create it meanwhile. A
				// login that does (no lease) creates it within
				// milliseconds; the held push then deletes it, which
				// watchDeletion sees.
				created := notifyUpsert(t, env, "grace", device)
				done := make(chan loginResult, 1)
				go func() { done <- login() }()
				select {
				case <-created:
				case <-time.After(time.Second):
				}
				gate.Release()
				waitJobCompleted(t, env, id)
				var r loginResult
				select {
				case r = <-done:
				case <-time.After(raceTimeout):
					t.Fatal("timed out waiting for the login to return")
				}
				if r.err != nil {
					t.Fatalf("login: %v", r.err)
				}
				if deleted() {
					t.Error("the held sync deleted the device the login had created")
				}
				if !slices.Contains(env.Homeserver.Devices("grace"), device) {
					t.Fatalf("device missing after the login: %v", env.Homeserver.Devices("grace"))
				}
				if status, body := whoami(t, env, r.token); status != http.StatusOK || body["device_id"] != device {
					t.Fatalf("whoami with the new token = %d %v", status, body)
				}
			})
		})
	}
}

// notifyUpsert returns a channel closed when the fake is asked to create
// localpart's device; the fake then creates it as usual.
func notifyUpsert(t *testing.T, env *testenv.Env, localpart, device string) <-chan struct{} {
	t.Helper()
	ch := make(chan struct{})
	var once sync.Once
	env.Homeserver.SetHook(pathUpsertDevice, func(_ *http.Request, body []byte) *homeservertest.Response {
		var req struct {
			Localpart string `json:"localpart"`
			DeviceID  string `json:"device_id"`
		}
		if json.Unmarshal(body, &req) == nil && req.Localpart == localpart && req.DeviceID == device {
			once.Do(func() { close(ch) })
		}
		return nil
	})
	t.Cleanup(func() { env.Homeserver.SetHook(pathUpsertDevice, nil) })
	return ch
}

// watchDeletion reports whether a device sync ever reached the fake with a
// list lacking device while localpart had it: a push that deletes it.
func watchDeletion(t *testing.T, env *testenv.Env, localpart, device string) (deleted func() bool) {
	t.Helper()
	var seen atomic.Bool
	env.Homeserver.SetHook(pathSyncDevices, func(_ *http.Request, body []byte) *homeservertest.Response {
		var req struct {
			Localpart string   `json:"localpart"`
			Devices   []string `json:"devices"`
		}
		if json.Unmarshal(body, &req) == nil && req.Localpart == localpart &&
			!slices.Contains(req.Devices, device) && slices.Contains(env.Homeserver.Devices(localpart), device) {
			seen.Store(true)
		}
		return nil // the fake applies it as usual
	})
	t.Cleanup(func() { env.Homeserver.SetHook(pathSyncDevices, nil) })
	return seen.Load
}

// applyUpsertThenHold makes the fake create localpart's device as soon as
// the login asks for it, and then hold the answer until release is called:
// the device exists on the homeserver while the login still waits, as when
// Synapse has written the device and its answer is in flight. The returned
// channel is closed once the device has been created.
func applyUpsertThenHold(t *testing.T, env *testenv.Env, localpart, device string) (applied <-chan struct{}, release func()) {
	t.Helper()
	appliedCh := make(chan struct{})
	releaseCh := make(chan struct{})
	var appliedOnce, releaseOnce sync.Once
	release = func() { releaseOnce.Do(func() { close(releaseCh) }) }
	env.Homeserver.SetHook(pathUpsertDevice, func(_ *http.Request, body []byte) *homeservertest.Response {
		var req struct {
			Localpart string `json:"localpart"`
			DeviceID  string `json:"device_id"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Localpart != localpart || req.DeviceID != device {
			return nil
		}
		if !env.Homeserver.AddDevice(localpart, device) {
			return homeservertest.MatrixErrorResponse(http.StatusNotFound, "M_NOT_FOUND", "User not found")
		}
		appliedOnce.Do(func() { close(appliedCh) })
		<-releaseCh
		// The device was created above; answering here rather than
		// letting the fake handle the request keeps the held request
		// from re-creating a device the sync deleted meanwhile.
		return &homeservertest.Response{Status: http.StatusCreated, Body: []byte("{}")}
	})
	t.Cleanup(func() {
		release()
		env.Homeserver.SetHook(pathUpsertDevice, nil)
	})
	return appliedCh, release
}

// compatLoginResult is compatLogin for a goroutine: it reports instead of
// failing the test.
func compatLoginResult(env *testenv.Env, user, password, device string) loginResult {
	body, _ := json.Marshal(map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": user},
		"password":   password,
		"device_id":  device,
	})
	resp, err := http.Post(env.URL("/_matrix/client/v3/login"), "application/json", bytes.NewReader(body))
	if err != nil {
		return loginResult{err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.AccessToken == "" {
		return loginResult{err: fmt.Errorf("login answered %d: %s", resp.StatusCode, raw)}
	}
	return loginResult{token: out.AccessToken}
}

// runDeviceSync runs a sync-devices job for the user on the service's
// worker and waits until it has completed.
func runDeviceSync(t *testing.T, env *testenv.Env, userID domain.ID) {
	t.Helper()
	waitJobCompleted(t, env, enqueueDeviceSync(t, env, userID))
}

// enqueueDeviceSync queues a sync-devices job for the user and returns its
// ID. It gets a single attempt, so that a failure shows as a discarded job
// rather than as a silent retry.
func enqueueDeviceSync(t *testing.T, env *testenv.Env, userID domain.ID) int64 {
	t.Helper()
	res, err := env.Server.Worker.Client().Insert(context.Background(), domain.SyncDevicesJob{UserID: userID}, &river.InsertOpts{MaxAttempts: 1})
	if err != nil {
		t.Fatalf("enqueueing a device sync: %v", err)
	}
	return res.Job.ID
}

// waitJobCompleted waits until the job has completed and fails the test if
// it ended any other way.
func waitJobCompleted(t *testing.T, env *testenv.Env, id int64) {
	t.Helper()
	deadline := time.Now().Add(raceTimeout)
	for {
		job, err := env.Server.Worker.Client().JobGet(context.Background(), id)
		if err != nil {
			t.Fatalf("looking up job %d: %v", id, err)
		}
		switch job.State {
		case rivertype.JobStateCompleted:
			return
		case rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
			t.Fatalf("job %d %s ended %s: %s", id, job.Kind, job.State, jobErrors(job))
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for job %d %s (state %s): %s", id, job.Kind, job.State, jobErrors(job))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jobErrors(job *rivertype.JobRow) string {
	var msgs []string
	for _, e := range job.Errors {
		msgs = append(msgs, e.Error)
	}
	return strings.Join(msgs, "; ")
}

// settleDeviceSyncs waits until no provision-user or sync-devices job is
// waiting or running (creating a user queues the first, which queues the
// second before it completes), so that only the tests' own syncs run while
// they hold requests.
func settleDeviceSyncs(t *testing.T, env *testenv.Env) {
	t.Helper()
	deadline := time.Now().Add(raceTimeout)
	params := river.NewJobListParams().Kinds(domain.ProvisionUserJob{}.Kind(), domain.SyncDevicesJob{}.Kind()).States(
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	).First(100)
	for {
		res, err := env.Server.Worker.Client().JobList(context.Background(), params)
		if err != nil {
			t.Fatalf("listing jobs: %v", err)
		}
		if len(res.Jobs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the queued provisioning and device syncs to finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
