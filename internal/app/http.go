package app

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"mas/internal/config"
	"mas/internal/httpserver"
	"mas/internal/keys"
)

// listeners converts the `http.listeners` section, loading TLS material.
func listeners(cfg *config.Config) ([]httpserver.Listener, error) {
	var problems []error
	out := make([]httpserver.Listener, 0, len(cfg.HTTP.Listeners))
	for i, l := range cfg.HTTP.Listeners {
		path := fmt.Sprintf("http.listeners[%d]", i)
		hl := httpserver.Listener{Name: l.Name, Prefix: l.Prefix, ProxyProtocol: l.ProxyProtocol}
		for _, r := range l.Resources {
			hl.Resources = append(hl.Resources, httpserver.Resource{
				Name:                     string(r.Name),
				Playground:               r.Playground,
				UndocumentedOAuth2Access: r.UndocumentedOAuth2Access,
				Path:                     r.AssetsPath(),
			})
		}
		for j, b := range l.Binds {
			hb, err := bind(b)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s.binds[%d]: %w", path, j, err))
				continue
			}
			hl.Binds = append(hl.Binds, hb)
		}
		if l.TLS != nil {
			tc, err := tlsConfig(l.TLS, path+".tls")
			if err != nil {
				problems = append(problems, err)
			}
			hl.TLS = tc
		}
		out = append(out, hl)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return out, nil
}

func bind(b config.BindConfig) (httpserver.Bind, error) {
	switch b.Form() {
	case config.BindAddress:
		return httpserver.Bind{Address: b.Address}, nil
	case config.BindHostPort:
		return httpserver.Bind{Host: b.Host, Port: int(*b.Port)}, nil
	case config.BindUnix:
		hb := httpserver.Bind{Socket: b.Socket}
		if b.Mode != "" {
			mode, err := strconv.ParseUint(b.Mode, 8, 32)
			if err != nil {
				return hb, fmt.Errorf("mode %q is not an octal permission", b.Mode)
			}
			hb.Mode = os.FileMode(mode)
		}
		return hb, nil
	default:
		fd := int(b.FD)
		return httpserver.Bind{FD: &fd, FDKind: string(b.SocketKind())}, nil
	}
}

// tlsConfig builds a server TLS configuration from a certificate chain and
// a private key that may be an encrypted PKCS#8 file.
func tlsConfig(t *config.TLSConfig, path string) (*tls.Config, error) {
	certPEM, err := t.CertificateBytes(path)
	if err != nil {
		return nil, err
	}
	keyData, err := t.KeyBytes(path)
	if err != nil {
		return nil, err
	}
	password, err := t.PasswordValue(path)
	if err != nil {
		return nil, err
	}
	var chain [][]byte
	for rest := certPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			chain = append(chain, block.Bytes)
		}
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%s.certificate: no PEM certificate found", path)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("%s.certificate: %w", path, err)
	}
	spec := keys.Spec{Data: keyData, Source: path + ".key"}
	if password != "" {
		spec.Password = []byte(password)
	}
	key, err := keys.ParsePrivateKey(spec)
	if err != nil {
		return nil, fmt.Errorf("%s.key: %w", path, err)
	}
	signer, ok := key.CryptoSigner()
	if !ok {
		return nil, fmt.Errorf("%s.key: this key type cannot be used for TLS", path)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: signer, Leaf: leaf}},
	}, nil
}

// privateNetworks are the RFC 1918 and RFC 4193 ranges (what
// netip.Addr.IsPrivate means). Hosts there are typically many and not all
// trusted, unlike loopback, which is this machine.
var privateNetworks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("fc00::/7"),
}

// warnBroadTrustedProxies warns when http.trusted_proxies lets whole
// private networks speak for the client address, as upstream's default
// (which a configuration without the key keeps) does: any host there can
// then pick the address the rate limits and the logs see. A single
// address, the proxy's own, is what the setting is for and is not
// reported; neither is loopback.
func warnBroadTrustedProxies(logger *slog.Logger, proxies []netip.Prefix) {
	var broad []string
	for _, p := range proxies {
		if p.IsSingleIP() {
			continue
		}
		for _, private := range privateNetworks {
			if p.Overlaps(private) {
				broad = append(broad, p.String())
				break
			}
		}
	}
	if len(broad) == 0 {
		return
	}
	logger.Warn("http.trusted_proxies trusts private networks: every host on those networks can "+
		"choose its client address through X-Forwarded-For and so escape per-IP rate limits; "+
		"list only the reverse proxy's own address",
		"ranges", strings.Join(broad, ", "))
}
