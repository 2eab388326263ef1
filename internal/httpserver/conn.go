package httpserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/pires/go-proxyproto"

	"mas/internal/requestctx"
)

// connInfo records which socket a connection arrived on. It is attached in
// http.Server.ConnContext, which runs on the accept loop, so it must not do
// I/O: on a PROXY listener, asking for the remote address would block until
// the header arrives.
type connInfo struct {
	listener string
	bind     Bind
	conn     net.Conn
}

type connKey struct{}

func withConnInfo(ctx context.Context, ci *connInfo) context.Context {
	return context.WithValue(ctx, connKey{}, ci)
}

func connInfoFrom(ctx context.Context) *connInfo {
	ci, _ := ctx.Value(connKey{}).(*connInfo)
	return ci
}

// layers peels the wrappers of an accepted connection.
func (ci *connInfo) layers() (raw net.Conn, pp *proxyproto.Conn) {
	if ci == nil {
		return nil, nil
	}
	c := ci.conn
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	if p, ok := c.(*proxyproto.Conn); ok {
		pp = p
		c = p.Raw()
	}
	return c, pp
}

// overUnixSocket reports whether the connection came through a unix socket
// (whatever a PROXY header then claims about the client).
func (ci *connInfo) overUnixSocket() bool {
	raw, _ := ci.layers()
	if raw == nil {
		return false
	}
	return raw.LocalAddr().Network() == "unix"
}

// serveConnectionInfo dumps what the server knows about the connection. It
// is a debugging aid for proxy and TLS setups, so it shows raw values.
func serveConnectionInfo(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%s: %s\n", k, fmt.Sprintf(format, args...))
	}

	ci := connInfoFrom(r.Context())
	raw, pp := ci.layers()
	if ci != nil {
		line("listener", "%s", ci.listener)
		line("bind", "%s", ci.bind)
	}
	if raw != nil {
		line("local", "%s %s", raw.LocalAddr().Network(), addrString(raw.LocalAddr()))
		line("peer", "%s %s", raw.RemoteAddr().Network(), addrString(raw.RemoteAddr()))
	}
	line("remote_addr", "%s", r.RemoteAddr)
	if ip := requestctx.ClientIP(r.Context()); ip.IsValid() {
		line("client_ip", "%s", ip)
	} else {
		line("client_ip", "unknown")
	}
	writeProxyHeader(&b, pp)
	writeTLS(&b, r.TLS)
	line("protocol", "%s", r.Proto)

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, b.String())
}

func writeProxyHeader(b *strings.Builder, pp *proxyproto.Conn) {
	if pp == nil {
		b.WriteString("proxy_protocol: none\n")
		return
	}
	h := pp.ProxyHeader()
	if h == nil {
		b.WriteString("proxy_protocol: no header\n")
		return
	}
	cmd := "PROXY"
	if h.Command.IsLocal() {
		cmd = "LOCAL"
	}
	fmt.Fprintf(b, "proxy_protocol: v%d %s source=%s destination=%s\n",
		h.Version, cmd, addrString(h.SourceAddr), addrString(h.DestinationAddr))
}

func writeTLS(b *strings.Builder, st *tls.ConnectionState) {
	if st == nil {
		b.WriteString("tls: none\n")
		return
	}
	alpn := st.NegotiatedProtocol
	if alpn == "" {
		alpn = "-"
	}
	fmt.Fprintf(b, "tls: %s %s alpn=%s sni=%q resumed=%t peer_certificates=%d\n",
		tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), alpn,
		st.ServerName, st.DidResume, len(st.PeerCertificates))
}

func addrString(a net.Addr) string {
	if a == nil {
		return "-"
	}
	if s := a.String(); s != "" {
		return s
	}
	return "(unnamed)"
}
