package httpserver

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pires/go-proxyproto"
)

// rawRequest sends a PROXY header (if any) and a GET on a fresh connection,
// returning the response body.
func rawRequest(t *testing.T, addr string, header []byte, path string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(header); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestProxyProtocol(t *testing.T) {
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:          "proxied",
			Resources:     []Resource{{Name: ResourceOAuth}, {Name: ResourceConnectionInfo}},
			Binds:         tcpBind(),
			ProxyProtocol: true,
		}},
		Mounts: map[string]MountFunc{ResourceOAuth: echoClientIP},
	})
	addr := srv.Addrs()["proxied"][0].String()

	t.Run("v1", func(t *testing.T) {
		status, body := rawRequest(t, addr, []byte("PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"), "/ip")
		if status != http.StatusOK || body != "203.0.113.7" {
			t.Errorf("got %d %q, want the address from the header", status, body)
		}
	})

	t.Run("v2", func(t *testing.T) {
		h := proxyproto.HeaderProxyFromAddrs(2,
			&net.TCPAddr{IP: net.ParseIP("2001:db8::7"), Port: 51000},
			&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 443})
		raw, err := h.Format()
		if err != nil {
			t.Fatal(err)
		}
		status, body := rawRequest(t, addr, raw, "/ip")
		if status != http.StatusOK || body != "2001:db8::7" {
			t.Errorf("got %d %q", status, body)
		}
	})

	t.Run("connection info", func(t *testing.T) {
		_, body := rawRequest(t, addr, []byte("PROXY TCP4 203.0.113.7 192.0.2.1 51000 443\r\n"), "/connection-info")
		for _, want := range []string{"proxy_protocol: v1 PROXY source=203.0.113.7:51000 destination=192.0.2.1:443", "peer: tcp 127.0.0.1:", "client_ip: 203.0.113.7"} {
			if !strings.Contains(body, want) {
				t.Errorf("lacks %q:\n%s", want, body)
			}
		}
	})

	t.Run("header required", func(t *testing.T) {
		if status, body := rawRequest(t, addr, nil, "/ip"); status == http.StatusOK {
			t.Errorf("request without PROXY header was served: %q", body)
		}
	})
}

// selfSigned makes a throw-away certificate for 127.0.0.1.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mas test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:      "secure",
			Resources: []Resource{{Name: ResourceHealth}, {Name: ResourceConnectionInfo}},
			Binds:     tcpBind(),
			TLS:       &tls.Config{Certificates: []tls.Certificate{cert}},
		}},
	})
	base := "https://" + srv.Addrs()["secure"][0].String()

	for _, h2 := range []bool{false, true} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
		client := noRedirectClient(tr)
		if res := do(t, client, http.MethodGet, base+"/health", nil); res.body != "ok" {
			t.Errorf("h2=%v: health over TLS: %d %q", h2, res.status, res.body)
		}
		info := do(t, client, http.MethodGet, base+"/connection-info", nil).body
		if !strings.Contains(info, "tls: TLS 1.3") {
			t.Errorf("h2=%v: connection info lacks TLS:\n%s", h2, info)
		}
		if h2 && !strings.Contains(info, "protocol: HTTP/2.0") {
			t.Errorf("HTTP/2 not negotiated:\n%s", info)
		}
		tr.CloseIdleConnections()
	}

	// Plain HTTP on a TLS listener is refused.
	if res, err := http.Get("http://" + srv.Addrs()["secure"][0].String() + "/health"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("plain HTTP served on a TLS listener")
		}
	}
}

func TestTLSWithProxyProtocol(t *testing.T) {
	cert, pool := selfSigned(t)
	srv, _ := startServer(t, Options{
		Listeners: []Listener{{
			Name:          "both",
			Resources:     []Resource{{Name: ResourceOAuth}},
			Binds:         tcpBind(),
			ProxyProtocol: true,
			TLS:           &tls.Config{Certificates: []tls.Certificate{cert}},
		}},
		Mounts: map[string]MountFunc{ResourceOAuth: echoClientIP},
	})
	addr := srv.Addrs()["both"][0].String()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, a)
			if err != nil {
				return nil, err
			}
			_, err = io.WriteString(c, "PROXY TCP6 2001:db8::9 2001:db8::1 40000 443\r\n")
			return c, err
		},
	}
	defer tr.CloseIdleConnections()
	if res := do(t, noRedirectClient(tr), http.MethodGet, "https://"+addr+"/ip", nil); res.body != "2001:db8::9" {
		t.Errorf("client IP = %q", res.body)
	}
}
