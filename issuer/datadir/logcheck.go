package datadir

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"unicode/utf8"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
)

// bbolt's on-disk layout (go.etcd.io/bbolt v1.3, file format version 2).
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	elementSize      = 16
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	bucketLeafFlag   = 0x01
	bucketHeaderSize = 16
	noFreelist       = ^uint64(0)
)

// LogInfo is what CheckLog learnt about a log.
type LogInfo struct {
	// First and Last are the log's first and last indexes; 0 when empty.
	First, Last uint64
}

// CheckLog reads the Raft log and stable store at path (a bbolt file, as
// raft-boltdb writes it) and returns why it is damaged, or what it holds.
// bbolt trusts its file: a truncated file makes it fault on its memory
// map, and a damaged page makes it panic on another goroutine, both of
// which end the process with a stack trace instead of a message. So every
// page, element and log entry is checked here first, through a read-only
// map of the file: only the pages in use are read. The commands of
// entries after snapshotIndex, which a start replays, are checked to be
// JSON; those at or before it only to be log entries.
func CheckLog(path string, snapshotIndex uint64) (info LogInfo, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	b, unmap, err := mapFile(path)
	if err != nil {
		return info, err
	}
	defer unmap()
	m, err := boltMeta(b)
	if err != nil {
		return info, err
	}
	if uint64(len(b)) < m.hwm*uint64(m.pageSize) {
		return info, fmt.Errorf("the file is truncated: %d bytes, where its header says at least %d", len(b), m.hwm*uint64(m.pageSize))
	}
	w := &boltWalk{b: b, pageSize: uint64(m.pageSize), hwm: m.hwm, seen: map[uint64]bool{}}
	if m.freelist != noFreelist && m.freelist >= m.hwm {
		return info, fmt.Errorf("the free list is past the end of the file")
	}
	var buckets = map[string][]byte{}
	if err := w.walk(m.root, func(k, v []byte, flags uint32) error {
		if flags&bucketLeafFlag == 0 {
			return errors.New("a value outside any bucket")
		}
		buckets[string(k)] = v
		return nil
	}); err != nil {
		return info, err
	}
	logs, ok := buckets["logs"]
	if !ok {
		return info, errors.New("it has no log bucket")
	}
	h := codec.MsgpackHandle{}
	var prev uint64
	var l raft.Log
	err = w.bucket(logs, func(k, v []byte, flags uint32) error {
		if len(k) != 8 || flags != 0 {
			return errors.New("a log key is malformed")
		}
		idx := binary.BigEndian.Uint64(k)
		// One value for every entry: the decoder reuses its Data.
		l = raft.Log{Data: l.Data[:0]}
		if err := codec.NewDecoderBytes(v, &h).Decode(&l); err != nil || l.Index != idx {
			return fmt.Errorf("log entry %d is damaged", idx)
		}
		if prev != 0 && idx != prev+1 {
			return fmt.Errorf("log entries %d to %d are missing", prev+1, idx-1)
		}
		// Commands are a type byte and JSON: bytes that are not UTF-8 or
		// not JSON were changed on disk.
		if l.Type == raft.LogCommand && idx > snapshotIndex && (len(l.Data) < 2 || !utf8.Valid(l.Data[1:]) || !json.Valid(l.Data[1:])) {
			return fmt.Errorf("log entry %d is damaged", idx)
		}
		if info.First == 0 {
			info.First = idx
		}
		info.Last, prev = idx, idx
		return nil
	})
	if err != nil {
		return info, err
	}
	if conf, ok := buckets["conf"]; ok {
		if err := w.bucket(conf, func(k, v []byte, flags uint32) error { return nil }); err != nil {
			return info, err
		}
	}
	return info, nil
}

type boltMetaPage struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64
	txid     uint64
}

// boltMeta returns the newer of the two meta pages whose checksum holds.
func boltMeta(b []byte) (boltMetaPage, error) {
	var best boltMetaPage
	found := false
	read := func(off int) {
		if len(b) < off+pageHeaderSize+64 {
			return
		}
		p := b[off+pageHeaderSize:]
		h := fnv.New64a()
		h.Write(p[:56])
		if binary.LittleEndian.Uint32(p[0:]) != boltMagic || binary.LittleEndian.Uint32(p[4:]) != boltVersion || binary.LittleEndian.Uint64(p[56:]) != h.Sum64() {
			return
		}
		m := boltMetaPage{pageSize: binary.LittleEndian.Uint32(p[8:]), root: binary.LittleEndian.Uint64(p[16:]),
			freelist: binary.LittleEndian.Uint64(p[32:]), hwm: binary.LittleEndian.Uint64(p[40:]), txid: binary.LittleEndian.Uint64(p[48:])}
		if m.pageSize < 512 || m.pageSize > 1<<16 {
			return
		}
		if !found || m.txid > best.txid {
			best, found = m, true
		}
	}
	read(0)
	if len(b) >= pageHeaderSize+12 {
		if ps := binary.LittleEndian.Uint32(b[pageHeaderSize+8:]); ps >= 512 && ps <= 1<<16 {
			read(int(ps))
		}
	}
	for _, ps := range []int{4096, 8192, 16384, 65536} {
		if !found {
			read(ps)
		}
	}
	if !found {
		return best, errors.New("it is not a database, or both of its headers are damaged")
	}
	return best, nil
}

type boltWalk struct {
	b        []byte
	pageSize uint64
	hwm      uint64
	seen     map[uint64]bool
}

// page returns page id and its full span (with overflow pages).
func (w *boltWalk) page(id uint64) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, fmt.Errorf("page %d is out of range", id)
	}
	if w.seen[id] {
		return nil, fmt.Errorf("page %d is reached twice", id)
	}
	w.seen[id] = true
	off := id * w.pageSize
	hdr := w.b[off : off+pageHeaderSize]
	if binary.LittleEndian.Uint64(hdr) != id {
		return nil, fmt.Errorf("page %d is damaged", id)
	}
	overflow := uint64(binary.LittleEndian.Uint32(hdr[12:]))
	end := off + (1+overflow)*w.pageSize
	if id+overflow >= w.hwm || end > uint64(len(w.b)) {
		return nil, fmt.Errorf("page %d runs past the end", id)
	}
	return w.b[off:end], nil
}

// walk visits every leaf element under page id.
func (w *boltWalk) walk(id uint64, fn func(k, v []byte, flags uint32) error) error {
	p, err := w.page(id)
	if err != nil {
		return err
	}
	return w.elements(p, id, fn)
}

func (w *boltWalk) elements(p []byte, id uint64, fn func(k, v []byte, flags uint32) error) error {
	if len(p) < pageHeaderSize {
		return fmt.Errorf("page %d is damaged", id)
	}
	flags := binary.LittleEndian.Uint16(p[8:])
	count := int(binary.LittleEndian.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > len(p) {
		return fmt.Errorf("page %d is damaged", id)
	}
	for i := 0; i < count; i++ {
		at := pageHeaderSize + i*elementSize
		e := p[at : at+elementSize]
		switch flags {
		case branchPageFlag:
			pos, ksize := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])
			if uint64(at)+uint64(pos)+uint64(ksize) > uint64(len(p)) {
				return fmt.Errorf("page %d is damaged", id)
			}
			if err := w.walk(binary.LittleEndian.Uint64(e[8:]), fn); err != nil {
				return err
			}
		case leafPageFlag:
			fl, pos, ksize, vsize := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:]), binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
			start := uint64(at) + uint64(pos)
			if fl&^bucketLeafFlag != 0 || start+uint64(ksize)+uint64(vsize) > uint64(len(p)) {
				return fmt.Errorf("page %d is damaged", id)
			}
			if err := fn(p[start:start+uint64(ksize)], p[start+uint64(ksize):start+uint64(ksize)+uint64(vsize)], fl); err != nil {
				return err
			}
		default:
			return fmt.Errorf("page %d is damaged (flags %#x)", id, flags)
		}
	}
	return nil
}

// bucket visits a bucket's elements, from its root page or inline.
func (w *boltWalk) bucket(v []byte, fn func(k, v []byte, flags uint32) error) error {
	if len(v) < bucketHeaderSize {
		return errors.New("a bucket header is damaged")
	}
	if root := binary.LittleEndian.Uint64(v); root != 0 {
		return w.walk(root, fn)
	}
	return w.elements(v[bucketHeaderSize:], 0, fn)
}
