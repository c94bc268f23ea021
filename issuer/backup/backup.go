// Package backup takes a consistent copy of a running register and restores
// it into a new data directory.
//
// A backup is a tar archive, format "linkpass-backup" version 1
// (docs/backup-format.md). Its first member, linkpass-backup.json, is the
// manifest: what the register is, the log index the copy was taken at, and
// the size and SHA-256 of every other member. Then come state.bin (the
// state store's snapshot, as the Raft snapshots hold it), keys/KID.jwk
// for each signing key still in use, and root-key/KID.jwk, the root key
// practices have pinned. The archive holds the private keys and personal
// data: whoever holds it can sign credentials.
package backup

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nalw/linkpass/issuer/datadir"
	"github.com/nalw/linkpass/issuer/register"
	"github.com/nalw/linkpass/issuer/state"
	"github.com/nalw/linkpass/keys"
)

// Format and Version name the archive format. A reader refuses any other.
const (
	Format  = "linkpass-backup"
	Version = 1
)

// Member names.
const (
	manifestName = "linkpass-backup.json"
	stateName    = "state.bin"
	keysPrefix   = "keys/"
	rootPrefix   = "root-key/"
)

// Limits on what Read accepts, so that a hostile or damaged file cannot
// exhaust memory.
const (
	maxManifest = 1 << 20
	maxKey      = 64 << 10
	maxState    = 4 << 30
	maxKeys     = 1000
)

// ErrInvalid means a file is not a backup this release can restore, or is
// damaged; the message says what was wrong.
var ErrInvalid = errors.New("backup: not a usable linkpass backup")

// Manifest describes a backup.
type Manifest struct {
	Format  string    `json:"format"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Index is the last log index the copy includes.
	Index uint64 `json:"index"`
	// IssuerURL and RegisterName are the register's settings at Index.
	IssuerURL    string `json:"issuer_url"`
	RegisterName string `json:"register_name"`
	// Node is the data directory's marker: a restore keeps the node's
	// identity, which the register's Raft configuration names.
	Node NodeInfo `json:"node"`
	// ActiveKID is the key that signs new credentials.
	ActiveKID string `json:"active_kid"`
	// RootKID is the register's root key (root-key/), which practices have
	// pinned: a restore without it would make every practice refuse the
	// register's bundles until they confirm a new one.
	RootKID string `json:"root_kid,omitempty"`
	Files   []File `json:"files"`
}

// NodeInfo is what a data directory's marker says.
type NodeInfo struct {
	NodeID     string    `json:"node_id"`
	DataFormat int       `json:"data_format"`
	Created    time.Time `json:"created"`
}

// File is one member after the manifest.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Archive is a backup in memory: the manifest, the state snapshot and the
// private keys by kid.
type Archive struct {
	Manifest Manifest
	State    []byte
	Keys     map[string][]byte
	// RootKey is the root key's private JWK file, if the register has one.
	RootKey []byte
}

// Take copies the register as of snap: the state, and the private key
// files of every key not retired, read from the data directory dir. The
// key files are written before their records are committed, so every key
// the snapshot names is already on disk.
func Take(snap *state.Snapshot, dir datadir.Layout, node datadir.Marker, now time.Time) (*Archive, error) {
	var st bytes.Buffer
	if err := snap.Persist(&st); err != nil {
		return nil, fmt.Errorf("backup: copying the state: %w", err)
	}
	set := snap.Settings()
	a := &Archive{
		Manifest: Manifest{Format: Format, Version: Version, Created: now.UTC(), Index: snap.Index(),
			IssuerURL: set.IssuerURL, RegisterName: set.RegisterName,
			Node: NodeInfo{NodeID: node.NodeID, DataFormat: node.Format, Created: node.Created}},
		State: st.Bytes(),
		Keys:  map[string][]byte{},
	}
	recs, err := snap.Keys()
	if err != nil {
		return nil, err
	}
	kd, err := keys.OpenDir(dir.Keys())
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for _, k := range recs {
		if k.State == register.KeyRetired {
			continue // it signs nothing again: leave it out of copies
		}
		if k.State == register.KeyActive {
			a.Manifest.ActiveKID = k.KID
		}
		// Load checks the file's mode and that it holds this key.
		if _, err := kd.Load(k.KID); err != nil {
			if errors.Is(err, keys.ErrKeyNotFound) && k.State != register.KeyActive {
				continue // only the active key signs; a lost older one is not needed
			}
			return nil, fmt.Errorf("backup: signing key %s: %w", k.KID, err)
		}
		b, err := os.ReadFile(filepath.Join(dir.Keys(), k.KID+".jwk"))
		if err != nil {
			return nil, fmt.Errorf("backup: signing key %s: %w", k.KID, err)
		}
		a.Keys[k.KID] = b
	}
	if a.Manifest.ActiveKID == "" {
		return nil, fmt.Errorf("backup: the register has no active signing key")
	}
	if err := a.takeRootKey(dir.RootKey()); err != nil {
		return nil, err
	}
	return a, nil
}

// takeRootKey copies the root key kept in dir, if there is one.
func (a *Archive) takeRootKey(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	rd, err := keys.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("backup: root key: %w", err)
	}
	kids, err := rd.List()
	if err != nil {
		return fmt.Errorf("backup: root key: %w", err)
	}
	switch len(kids) {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("backup: %s holds %d root keys; it must hold exactly one", dir, len(kids))
	}
	if _, err := rd.Load(kids[0]); err != nil {
		return fmt.Errorf("backup: root key %s: %w", kids[0], err)
	}
	b, err := os.ReadFile(filepath.Join(dir, kids[0]+".jwk"))
	if err != nil {
		return fmt.Errorf("backup: root key %s: %w", kids[0], err)
	}
	a.Manifest.RootKID, a.RootKey = kids[0], b
	return nil
}

// members returns the members after the manifest in archive order.
func (a *Archive) members() []struct {
	name string
	data []byte
} {
	out := []struct {
		name string
		data []byte
	}{{stateName, a.State}}
	kids := make([]string, 0, len(a.Keys))
	for kid := range a.Keys {
		kids = append(kids, kid)
	}
	sort.Strings(kids)
	for _, kid := range kids {
		out = append(out, struct {
			name string
			data []byte
		}{keysPrefix + kid + ".jwk", a.Keys[kid]})
	}
	if a.RootKey != nil {
		out = append(out, struct {
			name string
			data []byte
		}{rootPrefix + a.Manifest.RootKID + ".jwk", a.RootKey})
	}
	return out
}

// Write writes a as a tar archive, filling in the manifest's file list.
func Write(w io.Writer, a *Archive) error {
	a.Manifest.Files = nil
	for _, m := range a.members() {
		sum := sha256.Sum256(m.data)
		a.Manifest.Files = append(a.Manifest.Files, File{Name: m.name, Size: int64(len(m.data)), SHA256: hex.EncodeToString(sum[:])})
	}
	man, err := json.MarshalIndent(a.Manifest, "", "  ")
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	put := func(name string, data []byte) error {
		hdr := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: a.Manifest.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("backup: writing %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("backup: writing %s: %w", name, err)
		}
		return nil
	}
	if err := put(manifestName, append(man, '\n')); err != nil {
		return err
	}
	for _, m := range a.members() {
		if err := put(m.name, m.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// Read reads and checks a whole archive: the format and version, every
// member listed once with its size and SHA-256, nothing else, and a state
// snapshot that decodes. It returns ErrInvalid, saying what was wrong,
// for anything else.
func Read(r io.Reader) (*Archive, error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName {
		return nil, fmt.Errorf("%w: it does not start with %s (is it a file made by `linkpass backup`?)", ErrInvalid, manifestName)
	}
	b, err := readMember(tr, hdr, maxManifest)
	if err != nil {
		return nil, err
	}
	a := &Archive{Keys: map[string][]byte{}}
	if err := json.Unmarshal(b, &a.Manifest); err != nil {
		return nil, fmt.Errorf("%w: %s is damaged: %v", ErrInvalid, manifestName, err)
	}
	m := &a.Manifest
	if m.Format != Format || m.Version != Version {
		return nil, fmt.Errorf("%w: it is format %q version %d; this linkpass restores %q version %d", ErrInvalid, m.Format, m.Version, Format, Version)
	}
	if m.Node.NodeID == "" || m.Node.DataFormat != datadir.Format || m.IssuerURL == "" || !keys.ValidKeyID(m.ActiveKID) {
		return nil, fmt.Errorf("%w: the manifest lacks the node id, data format %d, issuer URL or active key", ErrInvalid, datadir.Format)
	}
	want := map[string]File{}
	for _, f := range m.Files {
		if _, dup := want[f.Name]; dup {
			return nil, fmt.Errorf("%w: the manifest lists %s twice", ErrInvalid, f.Name)
		}
		want[f.Name] = f
	}
	seen := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the archive is truncated or damaged: %v", ErrInvalid, err)
		}
		f, ok := want[hdr.Name]
		if !ok || seen[hdr.Name] {
			return nil, fmt.Errorf("%w: unexpected member %q", ErrInvalid, hdr.Name)
		}
		seen[hdr.Name] = true
		limit := int64(maxKey)
		if hdr.Name == stateName {
			limit = maxState
		}
		data, err := readMember(tr, hdr, limit)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("%w: %s does not match its checksum in the manifest: the file is damaged", ErrInvalid, hdr.Name)
		}
		switch kid, isKey := strings.CutPrefix(hdr.Name, keysPrefix); {
		case hdr.Name == stateName:
			a.State = data
		case m.RootKID != "" && hdr.Name == rootPrefix+m.RootKID+".jwk" && keys.ValidKeyID(m.RootKID):
			a.RootKey = data
		case isKey && strings.HasSuffix(kid, ".jwk") && keys.ValidKeyID(strings.TrimSuffix(kid, ".jwk")) && len(a.Keys) < maxKeys:
			a.Keys[strings.TrimSuffix(kid, ".jwk")] = data
		default:
			return nil, fmt.Errorf("%w: unexpected member %q", ErrInvalid, hdr.Name)
		}
	}
	for name := range want {
		if !seen[name] {
			return nil, fmt.Errorf("%w: %s is missing: the archive is truncated", ErrInvalid, name)
		}
	}
	if a.State == nil {
		return nil, fmt.Errorf("%w: it holds no %s", ErrInvalid, stateName)
	}
	if _, ok := a.Keys[m.ActiveKID]; !ok {
		return nil, fmt.Errorf("%w: it lacks the active signing key %s", ErrInvalid, m.ActiveKID)
	}
	if _, err := state.Restore(bytes.NewReader(a.State)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, stateName, err)
	}
	return a, nil
}

func readMember(tr *tar.Reader, hdr *tar.Header, limit int64) ([]byte, error) {
	if hdr.Typeflag != tar.TypeReg || hdr.Size < 0 || hdr.Size > limit {
		return nil, fmt.Errorf("%w: member %q is not a regular file within %d bytes", ErrInvalid, hdr.Name, limit)
	}
	b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
	if err != nil || int64(len(b)) != hdr.Size {
		return nil, fmt.Errorf("%w: %s is truncated", ErrInvalid, hdr.Name)
	}
	return b, nil
}
