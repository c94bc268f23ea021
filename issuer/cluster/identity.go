package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Identity is this node's certificate and the cluster CA it trusts.
type Identity struct {
	NodeID string
	cert   tls.Certificate
	roots  *x509.CertPool
}

// LoadIdentity reads node.crt, node.key and ca.crt from dir and checks that
// the certificate is the CA's and names nodeID: a node never starts with
// another node's identity.
func LoadIdentity(dir, nodeID string, now time.Time) (*Identity, error) {
	keyPath := filepath.Join(dir, NodeKeyFile)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, NodeCertFile), keyPath)
	if err != nil {
		return nil, fmt.Errorf("reading this node's certificate in %s (make one with `linkpass cluster cert %s --ca CADIR --out %s`): %w", dir, nodeID, dir, err)
	}
	if err := checkKeyMode(keyPath); err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, fmt.Errorf("reading the cluster CA certificate: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s holds no PEM certificate", filepath.Join(dir, CACertFile))
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	id := &Identity{NodeID: nodeID, cert: pair, roots: roots}
	got, err := id.verify(leaf, pair.Certificate[1:], now)
	if err != nil {
		return nil, fmt.Errorf("this node's own certificate: %w", err)
	}
	if got != nodeID {
		return nil, fmt.Errorf("%w: the certificate in %s names node %q, but this node is %q; use the certificate made for this node", ErrIdentity, dir, got, nodeID)
	}
	return id, nil
}

// verify checks a peer's certificate chain against the cluster CA, for
// both uses (a node is client and server), and returns the node id it
// names.
func (id *Identity) verify(leaf *x509.Certificate, rest [][]byte, now time.Time) (string, error) {
	inter := x509.NewCertPool()
	for _, der := range rest {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: id.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}); err != nil {
		return "", fmt.Errorf("%w: the certificate of %q is not one of this cluster's CA: %v", ErrIdentity, leaf.Subject.CommonName, err)
	}
	return NodeIDOf(leaf)
}

// peerCheck verifies the peer of a TLS connection; expect, when not
// empty, is the node id the peer must be.
func (id *Identity) peerCheck(expect func() string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: the peer sent no certificate", ErrIdentity)
		}
		var rest [][]byte
		for _, c := range cs.PeerCertificates[1:] {
			rest = append(rest, c.Raw)
		}
		got, err := id.verify(cs.PeerCertificates[0], rest, time.Now())
		if err != nil {
			return err
		}
		if want := expect(); want != "" && want != got {
			return fmt.Errorf("%w: the peer's certificate names node %q where %q was expected", ErrIdentity, got, want)
		}
		return nil
	}
}

// ServerConfig is the TLS configuration of the cluster listener: TLS 1.3
// only, and a client certificate of the cluster CA required.
func (id *Identity) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.cert},
		ClientAuth:   tls.RequireAnyClientCert,
		// Verified here rather than by ClientCAs so that the same check
		// (CA, both key usages, node id) runs on both ends.
		VerifyConnection: id.peerCheck(func() string { return "" }),
	}
}

// ClientConfig is the TLS configuration for dialling another node; want,
// if not empty, is the node id the server's certificate must name.
func (id *Identity) ClientConfig(want string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.cert},
		// The standard host name check is replaced by peerCheck, which
		// verifies the chain against the cluster CA and the node id: nodes
		// are named by id, not by the address they are dialled at.
		InsecureSkipVerify: true,
		VerifyConnection:   id.peerCheck(func() string { return want }),
	}
}

// PeerID returns the node id of a verified TLS connection's peer.
func PeerID(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	id, _ := NodeIDOf(cs.PeerCertificates[0])
	return id
}

func parseIP(h string) net.IP { return net.ParseIP(h) }
