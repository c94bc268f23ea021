// Package cluster joins register nodes into one Raft cluster: the mutual
// TLS transport between them (certificates from the cluster's own CA, each
// naming its node id), forwarding of writes from followers to the leader,
// and the certificates themselves (`linkpass cluster ca` and `cert`).
package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/nalw/linkpass/issuer/datadir"
)

// Files of a certificate folder: `linkpass cluster ca` writes ca.crt and
// ca.key; `linkpass cluster cert` writes node.crt, node.key and a copy of
// ca.crt, which is what `serve --cluster-tls DIR` reads.
const (
	CACertFile   = "ca.crt"
	CAKeyFile    = "ca.key"
	NodeCertFile = "node.crt"
	NodeKeyFile  = "node.key"
)

// ErrIdentity means a certificate does not prove what it must: signed by
// the cluster CA, naming a node id.
var ErrIdentity = errors.New("cluster: node identity refused")

var nodeIDRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidNodeID reports whether id can name a node: lower-case letters,
// digits and inner hyphens, at most 63 (a DNS label, so that it fits a
// certificate's DNS name).
func ValidNodeID(id string) bool { return nodeIDRe.MatchString(id) }

// CheckNodeID returns a clear error for an id that cannot name a node.
func CheckNodeID(id string) error {
	if !ValidNodeID(id) {
		return fmt.Errorf("node id %q: use 1 to 63 lower-case letters, digits and inner hyphens, e.g. node-1", id)
	}
	return nil
}

// NodeIDOf returns the node id a certificate names: its Common Name, which
// must also be one of its DNS names.
func NodeIDOf(cert *x509.Certificate) (string, error) {
	id := cert.Subject.CommonName
	if !ValidNodeID(id) || !slices.Contains(cert.DNSNames, id) {
		return "", fmt.Errorf("%w: the certificate must name its node id as Common Name and as a DNS name (got CN %q, DNS %v)", ErrIdentity, id, cert.DNSNames)
	}
	return id, nil
}

// MakeCA writes a new cluster CA (ECDSA P-256, ten years) to dir:
// ca.crt, and ca.key with mode 0600. It refuses to replace one.
func MakeCA(dir string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "linkpass cluster CA", Organization: []string{"linkpass"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("making the cluster CA: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return writePair(dir, CACertFile, der, CAKeyFile, key)
}

// MakeNodeCert writes a certificate for node id, signed by the CA in caDir,
// to outDir: node.crt, node.key (0600) and ca.crt. hosts are extra DNS
// names or IP addresses the node is reached at (not needed for identity).
func MakeNodeCert(caDir, outDir, id string, hosts []string, now time.Time) error {
	if err := CheckNodeID(id); err != nil {
		return err
	}
	caCert, caKey, err := loadCA(caDir)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: id, Organization: []string{"linkpass"}},
		DNSNames:     []string{id},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// A node is a server to some peers and a client of others.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := parseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != id {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("signing the certificate of %s: %w", id, err)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return err
	}
	if err := datadir.WriteFileNew(filepath.Join(outDir, CACertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), 0o644); err != nil {
		return err
	}
	return writePair(outDir, NodeCertFile, der, NodeKeyFile, key)
}

func writePair(dir, certName string, der []byte, keyName string, key crypto.Signer) error {
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := datadir.WriteFileNew(filepath.Join(dir, keyName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return datadir.WriteFileNew(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func loadCA(dir string) (*x509.Certificate, crypto.Signer, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the cluster CA in %s (made by `linkpass cluster ca --out %s`): %w", dir, dir, err)
	}
	if err := checkKeyMode(filepath.Join(dir, CAKeyFile)); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, nil, err
	}
	if !cert.IsCA {
		return nil, nil, fmt.Errorf("%s is not a CA certificate", filepath.Join(dir, CACertFile))
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("the CA key in %s cannot sign", dir)
	}
	return cert, signer, nil
}

func checkKeyMode(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s has mode %#o: a private key must be readable by its owner only; run `chmod 600 %s`", path, info.Mode().Perm(), path)
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return n
}
