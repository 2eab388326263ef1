package homeservertest

import (
	"fmt"
	"net/http"
)

// maxDeviceDisplayNameLen is Synapse's MAX_DEVICE_DISPLAY_NAME_LEN.
const maxDeviceDisplayNameLen = 100

var upsertDeviceSchema = schema{fields: []field{
	{name: "localpart", typ: tString, required: true},
	{name: "device_id", typ: tString, required: true},
	{name: "display_name", typ: tString, nullable: true},
}}

func (s *Server) upsertDevice(_ *http.Request, body []byte) reply {
	type request struct {
		DeviceID    string  `json:"device_id"`
		DisplayName *string `json:"display_name"`
	}
	return withUser(s, body, upsertDeviceSchema, func(u *user, req request) reply {
		if d, ok := u.devices[req.DeviceID]; ok {
			if req.DisplayName != nil {
				d.displayName = *req.DisplayName
			}
			return empty(http.StatusOK)
		}
		d := &device{}
		if req.DisplayName != nil {
			d.displayName = *req.DisplayName
		}
		u.devices[req.DeviceID] = d
		return empty(http.StatusCreated)
	})
}

var updateDeviceNameSchema = schema{fields: []field{
	{name: "localpart", typ: tString, required: true},
	{name: "device_id", typ: tString, required: true},
	{name: "display_name", typ: tString, required: true},
}}

func (s *Server) updateDeviceDisplayName(_ *http.Request, body []byte) reply {
	type request struct {
		DeviceID    string `json:"device_id"`
		DisplayName string `json:"display_name"`
	}
	return withUser(s, body, updateDeviceNameSchema, func(u *user, req request) reply {
		if len(req.DisplayName) > maxDeviceDisplayNameLen {
			return matrixError(http.StatusBadRequest, "M_TOO_LARGE",
				fmt.Sprintf("Device display name is too long (max %d)", maxDeviceDisplayNameLen))
		}
		d, ok := u.devices[req.DeviceID]
		if !ok {
			return matrixError(http.StatusNotFound, "M_NOT_FOUND", "Not found")
		}
		d.displayName = req.DisplayName
		return empty(http.StatusOK)
	})
}

var deleteDeviceSchema = schema{fields: []field{
	{name: "localpart", typ: tString, required: true},
	{name: "device_id", typ: tString, required: true},
}}

func (s *Server) deleteDevice(_ *http.Request, body []byte) reply {
	type request struct {
		DeviceID string `json:"device_id"`
	}
	return withUser(s, body, deleteDeviceSchema, func(u *user, req request) reply {
		// Deleting an unknown device is not an error in Synapse.
		delete(u.devices, req.DeviceID)
		return empty(http.StatusNoContent)
	})
}

var syncDevicesSchema = schema{fields: []field{
	{name: "localpart", typ: tString, required: true},
	{name: "devices", typ: tStringList, required: true},
}}

func (s *Server) syncDevices(_ *http.Request, body []byte) reply {
	type request struct {
		Devices []string `json:"devices"`
	}
	return withUser(s, body, syncDevicesSchema, func(u *user, req request) reply {
		want := make(map[string]bool, len(req.Devices))
		for _, id := range req.Devices {
			want[id] = true
		}
		for id, d := range u.devices {
			if !want[id] && !d.dehydrated {
				delete(u.devices, id)
			}
		}
		for id := range want {
			if _, ok := u.devices[id]; !ok {
				u.devices[id] = &device{}
			}
		}
		return empty(http.StatusOK)
	})
}
