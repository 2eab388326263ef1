package homeservertest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestUpsertDevice(t *testing.T) {
	s := newFake(t)
	s.AddUser("alice")
	expect(t, mas(t, s, http.MethodPost, "upsert_device", `{"localpart":"alice","device_id":"DEV1","display_name":"Phone"}`), http.StatusCreated, "")
	expect(t, mas(t, s, http.MethodPost, "upsert_device", `{"localpart":"alice","device_id":"DEV1"}`), http.StatusOK, "")
	u, _ := s.User("alice")
	if !slices.Equal(u.Devices, []string{"DEV1"}) || u.DeviceDisplayNames["DEV1"] != "Phone" {
		t.Fatalf("after upserts: %+v", u)
	}
	expect(t, mas(t, s, http.MethodPost, "upsert_device", `{"localpart":"alice","device_id":"DEV1","display_name":"Tablet"}`), http.StatusOK, "")
	if u, _ := s.User("alice"); u.DeviceDisplayNames["DEV1"] != "Tablet" {
		t.Fatalf("display name not updated: %+v", u)
	}
	expect(t, mas(t, s, http.MethodPost, "upsert_device", `{"localpart":"alice","device_id":"DEV2","display_name":null}`), http.StatusCreated, "")
	if got := s.Devices("alice"); !slices.Equal(got, []string{"DEV1", "DEV2"}) {
		t.Fatalf("devices %v", got)
	}
}

func TestUpdateDeviceDisplayName(t *testing.T) {
	s := newFake(t)
	s.AddUser("alice")
	s.AddDevice("alice", "DEV1")
	expect(t, mas(t, s, http.MethodPost, "update_device_display_name", `{"localpart":"alice","device_id":"DEV1","display_name":"Laptop"}`), http.StatusOK, "")
	if u, _ := s.User("alice"); u.DeviceDisplayNames["DEV1"] != "Laptop" {
		t.Fatalf("%+v", u)
	}
	expect(t, mas(t, s, http.MethodPost, "update_device_display_name", `{"localpart":"alice","device_id":"NOPE","display_name":"x"}`), http.StatusNotFound, "M_NOT_FOUND")
	long := strings.Repeat("x", 101)
	expect(t, mas(t, s, http.MethodPost, "update_device_display_name", `{"localpart":"alice","device_id":"DEV1","display_name":"`+long+`"}`), http.StatusBadRequest, "M_TOO_LARGE")
}

func TestDeleteDevice(t *testing.T) {
	s := newFake(t)
	s.AddUser("alice")
	s.AddDevice("alice", "DEV1")
	a := mas(t, s, http.MethodPost, "delete_device", `{"localpart":"alice","device_id":"DEV1"}`)
	expect(t, a, http.StatusNoContent, "")
	if len(s.Devices("alice")) != 0 {
		t.Fatal("device not deleted")
	}
	// Unknown devices are fine.
	expect(t, mas(t, s, http.MethodPost, "delete_device", `{"localpart":"alice","device_id":"DEV1"}`), http.StatusNoContent, "")
}

func TestSyncDevices(t *testing.T) {
	s := newFake(t)
	s.AddUser("alice")
	for _, d := range []string{"KEEP", "DROP1", "DROP2"} {
		s.AddDevice("alice", d)
	}
	s.AddDehydratedDevice("alice", "DEHYDRATED")
	expect(t, mas(t, s, http.MethodPost, "sync_devices", `{"localpart":"alice","devices":["KEEP","NEW","NEW"]}`), http.StatusOK, "")
	if got := s.Devices("alice"); !slices.Equal(got, []string{"DEHYDRATED", "KEEP", "NEW"}) {
		t.Fatalf("devices %v", got)
	}
	expect(t, mas(t, s, http.MethodPost, "sync_devices", `{"localpart":"alice","devices":[]}`), http.StatusOK, "")
	if got := s.Devices("alice"); !slices.Equal(got, []string{"DEHYDRATED"}) {
		t.Fatalf("devices %v", got)
	}
	if s.AddDevice("ghost", "X") {
		t.Fatal("AddDevice accepted an unknown user")
	}
	if s.Devices("ghost") != nil {
		t.Fatal("Devices of an unknown user")
	}
}
