package statuslist

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"runtime"
	"sync"
)

// defaultChunkSize is the number of raw bytes compressed independently. The
// benchmarks in docs/status-list.md chose it: 64 KiB keeps a 2^20-entry,
// 2-bit list with 1% of entries set under 1.4x its entropy bound (smaller
// chunks pay a Huffman table and a flush marker each and lose matches across
// the seam), while one dirty chunk still recompresses in about 30 ms.
const defaultChunkSize = 64 << 10

// zlibHeader is CMF 0x78 (DEFLATE, 32 KiB window) and FLG 0xDA (maximum
// compression, no preset dictionary, FCHECK making 0x78DA a multiple of 31),
// per RFC 1950. It is the header compress/zlib writes at level 9.
var zlibHeader = [2]byte{0x78, 0xDA}

// writerPools recycle flate writers, level 9 and the quick level (see
// EncodeQuick): each allocates about 800 KB of window and hash tables, and
// Reset is far cheaper than allocating again.
var writerPools = [2]sync.Pool{{New: newWriter(flate.BestCompression)}, {New: newWriter(flate.BestSpeed)}}

func newWriter(level int) func() any {
	return func() any {
		w, err := flate.NewWriter(nil, level)
		if err != nil {
			// Only an invalid level fails, and these are valid.
			panic(err)
		}
		return w
	}
}

// Encoder compresses lists into the lst form and remembers what it produced,
// so that encoding the same list again after a few Set calls recompresses
// only the 64 KiB chunks that changed. The register keeps one Encoder per
// published list; a one-off encoding can use [List.Encode].
//
// The output is one standard ZLIB stream: each chunk is compressed with a
// fresh DEFLATE compressor and ended with a sync flush (an empty stored block,
// which leaves the stream byte-aligned), and only the last chunk sets BFINAL.
// A DEFLATE decoder needs nothing more, because no chunk refers back into
// another. The Adler-32 trailer covers the whole list.
//
// An Encoder is safe for concurrent use.
type Encoder struct {
	mu        sync.Mutex
	chunkSize int
	raw       []byte   // copy of the list bytes last encoded
	chunks    [][]byte // chunks[i] is raw's chunk i, compressed; nil if unknown
	quick     []bool   // quick[i]: chunks[i] was compressed by EncodeQuick
}

// NewEncoder returns an Encoder with an empty cache.
func NewEncoder() *Encoder {
	return &Encoder{chunkSize: defaultChunkSize}
}

// Encode returns the compressed byte array of l (the lst bytes before
// base64url, as the CBOR form carries them). The result is the caller's.
func (e *Encoder) Encode(l *List) ([]byte, error) { return e.encode(l, false) }

// EncodeQuick is Encode for a list that must be served at once: it
// compresses the chunks that changed at DEFLATE's fastest level, which on
// a sparse list takes about a hundredth of level 9's time for about 1.5
// times the bytes (docs/status-list.md). The next Encode compresses them
// again at level 9, and its output is then Encode's as ever.
func (e *Encoder) EncodeQuick(l *List) ([]byte, error) { return e.encode(l, true) }

// Quick reports whether the last encode left chunks compressed quickly,
// which an Encode would make smaller.
func (e *Encoder) Quick() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, q := range e.quick {
		if q {
			return true
		}
	}
	return false
}

func (e *Encoder) encode(l *List, quick bool) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()

	data := l.data
	n := (len(data) + e.chunkSize - 1) / e.chunkSize
	if len(e.raw) != len(data) {
		// A list of another length moves every chunk boundary and the last
		// chunk: nothing cached is reusable.
		e.raw = make([]byte, len(data))
		e.chunks = make([][]byte, n)
		e.quick = make([]bool, n)
	}

	var dirty []int
	for i := range n {
		lo, hi := e.bounds(i, len(data))
		if e.chunks[i] == nil || !bytes.Equal(data[lo:hi], e.raw[lo:hi]) || e.quick[i] && !quick {
			copy(e.raw[lo:hi], data[lo:hi])
			e.chunks[i] = nil
			dirty = append(dirty, i)
		}
	}
	if err := e.compress(dirty, quick); err != nil {
		return nil, err
	}

	total := len(zlibHeader) + 4
	for _, c := range e.chunks {
		total += len(c)
	}
	out := make([]byte, 0, total)
	out = append(out, zlibHeader[:]...)
	for _, c := range e.chunks {
		out = append(out, c...)
	}
	return binary.BigEndian.AppendUint32(out, adler32.Checksum(e.raw)), nil
}

// Claim returns l in the JSON form of the status_list claim.
func (e *Encoder) Claim(l *List) (Claim, error) { return e.claim(l, false) }

// ClaimQuick is Claim compressed as EncodeQuick does.
func (e *Encoder) ClaimQuick(l *List) (Claim, error) { return e.claim(l, true) }

func (e *Encoder) claim(l *List, quick bool) (Claim, error) {
	b, err := e.encode(l, quick)
	if err != nil {
		return Claim{}, err
	}
	return Claim{Bits: l.Bits(), Lst: base64.RawURLEncoding.EncodeToString(b)}, nil
}

// bounds returns the raw byte range of chunk i of a list of length size.
func (e *Encoder) bounds(i, size int) (lo, hi int) {
	lo = i * e.chunkSize
	return lo, min(lo+e.chunkSize, size)
}

// compress fills e.chunks[i] for every i in dirty from e.raw, using up to
// GOMAXPROCS goroutines: a cold encode of a 2^20-entry list has four chunks.
func (e *Encoder) compress(dirty []int, quick bool) error {
	last := len(e.chunks) - 1
	one := func(i int) error {
		lo, hi := e.bounds(i, len(e.raw))
		c, err := compressChunk(e.raw[lo:hi], i == last, quick)
		if err != nil {
			return fmt.Errorf("statuslist: compress chunk %d: %w", i, err)
		}
		e.chunks[i], e.quick[i] = c, quick
		return nil
	}
	if len(dirty) == 1 {
		return one(dirty[0])
	}

	errs := make([]error, len(dirty))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k, i := range dirty {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[k] = one(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// compressChunk deflates src on its own, at level 9 or, quick, the fastest
// level. A non-final chunk ends with a sync flush so the next chunk starts
// on a byte boundary; the final one ends with a BFINAL block.
func compressChunk(src []byte, final, quick bool) ([]byte, error) {
	pool := &writerPools[0]
	if quick {
		pool = &writerPools[1]
	}
	w := pool.Get().(*flate.Writer)
	// The pooled writer keeps pointing at buf until its next Reset; that is
	// harmless, and resetting it here as well would clear its tables twice.
	defer pool.Put(w)

	var buf bytes.Buffer
	w.Reset(&buf)
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	var err error
	if final {
		err = w.Close()
	} else {
		err = w.Flush()
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Encode returns the compressed byte array of l. It is NewEncoder().Encode(l):
// use an [Encoder] to re-encode a changing list cheaply.
func (l *List) Encode() ([]byte, error) {
	return NewEncoder().Encode(l)
}

// EncodeString returns the compressed byte array of l, base64url-encoded
// without padding: the value of the lst member.
func (l *List) EncodeString() (string, error) {
	b, err := l.Encode()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Claim returns l in the JSON form of the status_list claim.
func (l *List) Claim() (Claim, error) {
	return NewEncoder().Claim(l)
}
