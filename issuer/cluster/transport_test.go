package cluster

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// pki makes a CA in a temporary folder and certificates for ids.
func pki(t *testing.T, ids ...string) (caDir string, certDirs map[string]string) {
	t.Helper()
	dir := t.TempDir()
	caDir = filepath.Join(dir, "ca")
	require.NoError(t, MakeCA(caDir, time.Now()))
	certDirs = map[string]string{}
	for _, id := range ids {
		certDirs[id] = filepath.Join(dir, id)
		require.NoError(t, MakeNodeCert(caDir, certDirs[id], id, nil, time.Now()))
	}
	return caDir, certDirs
}

func listen(t *testing.T, dir, id string) *Transport {
	t.Helper()
	ident, err := LoadIdentity(dir, id, time.Now())
	require.NoError(t, err)
	tr, err := Listen("127.0.0.1:0", ident, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}

// echo accepts one Raft connection on tr and echoes what it reads.
func echo(tr *Transport) {
	go func() {
		c, err := tr.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
}

func roundTrip(t *testing.T, c net.Conn) error {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 4)
	_, err := io.ReadFull(c, buf)
	if err == nil {
		assert.Equal(t, "ping", string(buf))
	}
	return err
}

func TestNodesOfOneCAConnectOverTLS13(t *testing.T) {
	_, dirs := pki(t, "node-1", "node-2")
	a, b := listen(t, dirs["node-1"], "node-1"), listen(t, dirs["node-2"], "node-2")
	echo(b)
	c, err := a.Dial(raft.ServerAddress(b.Addr().String()), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, roundTrip(t, c))
	state := c.(*trackedConn).ConnectionState()
	assert.Equal(t, uint16(tls.VersionTLS13), state.Version)
	assert.Equal(t, "node-2", PeerID(&state))
}

func TestNodeWithAnotherCAsCertificateIsRefused(t *testing.T) {
	_, dirs := pki(t, "node-1")
	_, other := pki(t, "node-2")
	a, intruder := listen(t, dirs["node-1"], "node-1"), listen(t, other["node-2"], "node-2")
	echo(a)
	// The intruder dials the member: the member refuses its certificate.
	c, err := intruder.Dial(raft.ServerAddress(a.Addr().String()), 5*time.Second)
	if err == nil {
		defer c.Close()
		err = roundTrip(t, c)
	}
	require.Error(t, err, "a node of another CA must not get a Raft connection")
	// The same, from a client that does not check the member first: the
	// member itself refuses the certificate.
	ident, err := LoadIdentity(other["node-2"], "node-2", time.Now())
	require.NoError(t, err)
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true, Certificates: ident.ClientConfig("").Certificates}
	raw, err := tls.Dial("tcp", a.Addr().String(), cfg)
	if err == nil {
		defer raw.Close()
		_, _ = raw.Write([]byte{kindRaft})
		err = roundTrip(t, raw)
	}
	require.Error(t, err, "the member must refuse a certificate of another CA")
	// The member dials the intruder: it refuses the intruder's server
	// certificate itself.
	echo(intruder)
	_, err = a.Dial(raft.ServerAddress(intruder.Addr().String()), 5*time.Second)
	require.ErrorIs(t, err, ErrIdentity)
}

func TestNodeWithoutACertificateIsRefused(t *testing.T) {
	_, dirs := pki(t, "node-1")
	a := listen(t, dirs["node-1"], "node-1")
	echo(a)
	c, err := tls.Dial("tcp", a.Addr().String(), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err == nil {
		defer c.Close()
		_, _ = c.Write([]byte{kindRaft})
		err = roundTrip(t, c)
	}
	require.Error(t, err, "a client without a certificate must be refused")
}

func TestOldTLSVersionsAreRefused(t *testing.T) {
	_, dirs := pki(t, "node-1", "node-2")
	a := listen(t, dirs["node-1"], "node-1")
	ident, err := LoadIdentity(dirs["node-2"], "node-2", time.Now())
	require.NoError(t, err)
	cfg := ident.ClientConfig("")
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	c, err := tls.Dial("tcp", a.Addr().String(), cfg)
	if err == nil {
		err = c.Handshake()
		c.Close()
	}
	require.Error(t, err)
}

func TestDialledPeerMustBeTheNodeTheConfigurationNames(t *testing.T) {
	_, dirs := pki(t, "node-1", "node-2")
	a, b := listen(t, dirs["node-1"], "node-1"), listen(t, dirs["node-2"], "node-2")
	echo(b)
	a.Expect(func(raft.ServerAddress) string { return "node-3" })
	_, err := a.Dial(raft.ServerAddress(b.Addr().String()), 5*time.Second)
	require.ErrorIs(t, err, ErrIdentity)
}

func TestANodeRefusesToStartWithAnotherNodesCertificate(t *testing.T) {
	_, dirs := pki(t, "node-1")
	_, err := LoadIdentity(dirs["node-1"], "node-2", time.Now())
	require.ErrorIs(t, err, ErrIdentity)
	assert.Contains(t, err.Error(), `names node "node-1", but this node is "node-2"`)
}

func TestIsolatedNodeNeitherDialsNorAccepts(t *testing.T) {
	_, dirs := pki(t, "node-1", "node-2")
	a, b := listen(t, dirs["node-1"], "node-1"), listen(t, dirs["node-2"], "node-2")
	echo(b)
	c, err := a.Dial(raft.ServerAddress(b.Addr().String()), 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, roundTrip(t, c))
	b.Isolate(true)
	// The open connection is cut, and no new one is made either way.
	assert.Error(t, roundTrip(t, c))
	_, err = b.Dial(raft.ServerAddress(a.Addr().String()), time.Second)
	require.ErrorIs(t, err, ErrIsolated)
	c2, err := a.Dial(raft.ServerAddress(b.Addr().String()), 2*time.Second)
	if err == nil {
		err = roundTrip(t, c2)
	}
	require.Error(t, err)
	b.Isolate(false)
	echo(b)
	c3, err := a.Dial(raft.ServerAddress(b.Addr().String()), 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, roundTrip(t, c3))
}

func TestKeysAreWrittenOwnerOnly(t *testing.T) {
	caDir, dirs := pki(t, "node-1")
	for _, p := range []string{filepath.Join(caDir, CAKeyFile), filepath.Join(dirs["node-1"], NodeKeyFile)} {
		require.NoError(t, checkKeyMode(p), p)
	}
}
