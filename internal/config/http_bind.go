package config

import (
	"net"
	"slices"
	"strconv"

	"github.com/goccy/go-yaml"
)

// BindForm says which of the four shapes a bind has.
type BindForm int

const (
	// BindFD takes a socket passed by the parent process (systemd).
	BindFD BindForm = iota
	// BindAddress listens on Address ("host:port").
	BindAddress
	// BindHostPort listens on Host (all interfaces when empty) and Port.
	BindHostPort
	// BindUnix listens on the UNIX socket at Socket.
	BindUnix
)

// UnixOrTCP is the kind of an inherited socket.
type UnixOrTCP string

const (
	SocketTCP  UnixOrTCP = "tcp"
	SocketUnix UnixOrTCP = "unix"
)

func (UnixOrTCP) enumValues() []string { return []string{"unix", "tcp"} }

// BindConfig is one entry of a listener's `binds`: `address`, or
// `host`+`port`, or `socket`(+`mode`), or `fd`(+`kind`). Form tells which.
type BindConfig struct {
	Address string  `yaml:"address,omitempty"`
	Host    string  `yaml:"host,omitempty"`
	Port    *uint16 `yaml:"port,omitempty"`
	Socket  string  `yaml:"socket,omitempty"`
	// Mode is the socket's permission bits in octal, such as "600".
	Mode string `yaml:"mode,omitempty"`
	// FD is the index of an inherited descriptor, counted from 3.
	FD uint `yaml:"fd,omitempty"`
	// Kind of the inherited socket; empty means TCP.
	Kind UnixOrTCP `yaml:"kind,omitempty"`
}

// Form tells which shape the bind has.
func (b BindConfig) Form() BindForm {
	switch {
	case b.Address != "":
		return BindAddress
	case b.Socket != "":
		return BindUnix
	case b.Port != nil:
		return BindHostPort
	}
	return BindFD
}

// ListenAddress returns the "host:port" to listen on for the address and
// host/port forms.
func (b BindConfig) ListenAddress() string {
	switch b.Form() {
	case BindAddress:
		return b.Address
	case BindHostPort:
		return net.JoinHostPort(b.Host, strconv.FormatUint(uint64(*b.Port), 10))
	}
	return ""
}

// SocketKind returns the kind of an inherited socket, defaulting to TCP.
func (b BindConfig) SocketKind() UnixOrTCP {
	if b.Kind == "" {
		return SocketTCP
	}
	return b.Kind
}

var bindKeys = []string{"address", "host", "port", "socket", "mode", "fd", "kind"}

func (b *BindConfig) decodeNode(d *decoder, n *node, path string) {
	if n.kind != kindMap {
		d.typeError(n, path, "a mapping")
		return
	}
	d.decodeKeys(n, path, b, bindKeys, "")
	has := func(k string) bool { _, ok := n.children[k]; return ok }
	// Upstream's bind is an untagged enum tried in this order: host+port,
	// address, socket, fd. The first form whose required key is there wins
	// and the other keys are ignored, so a bind with both `port` and
	// `address` listens on host+port.
	var form string
	var allowed []string
	switch {
	case has("port"):
		form, allowed = "port", []string{"host", "port"}
	case has("address"):
		form, allowed = "address", []string{"address"}
	case has("socket"):
		form, allowed = "socket", []string{"socket", "mode"}
	case has("host"):
		d.fail(n, joinPath(path, "port"), "missing required key (`host` needs `port`)")
		return
	default:
		form, allowed = "fd", []string{"fd", "kind"}
	}
	if form == "port" && b.Port == nil {
		var zero uint16
		b.Port = &zero
	}
	for _, k := range n.keys {
		if slices.Contains(bindKeys, k) && !slices.Contains(allowed, k) {
			d.warn(n.children[k], joinPath(path, k), "not used by a bind with `%s` (upstream tries host+port, address, socket, fd in that order and takes the first)", form)
			b.clear(k)
		}
	}
}

// clear forgets a key that the bind's form does not use, so that Form and
// Marshal see only the form that won.
func (b *BindConfig) clear(key string) {
	switch key {
	case "host":
		b.Host = ""
	case "port":
		b.Port = nil
	case "address":
		b.Address = ""
	case "socket":
		b.Socket = ""
	case "mode":
		b.Mode = ""
	case "fd":
		b.FD = 0
	case "kind":
		b.Kind = ""
	}
}

func (b BindConfig) encodeNode() any {
	switch b.Form() {
	case BindAddress:
		return encodeFields(b, "address")
	case BindUnix:
		return encodeFields(b, "socket", "mode")
	case BindHostPort:
		return encodeFields(b, "host", "port")
	}
	// Always write fd so that the entry is not an empty mapping.
	out := yaml.MapSlice{{Key: "fd", Value: uint64(b.FD)}}
	return append(out, encodeFields(b, "kind")...)
}
