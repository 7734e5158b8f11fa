package engine

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/spacetime/tickets/pkg/store"
)

// An image is the engine's columns written to a file next to the store, so that a
// restarted process reads them back in one pass of plain reads instead of decoding every
// ticket of the store again (and without touching the store's pages, which a load from
// the store maps in). It names the store's history and the cursor it had read to, so a
// load from an image is followed by an ordinary Sync that applies only the changes after
// that cursor.
//
// An image is used only when it was written by this format, for the same engine-relevant
// schema (key, version, time and every column's name, type and detail flag), the same
// window, and a store with the same history whose latest change is not older than
// the image's cursor; every block is checksummed (CRC-32C) and the columns are checked for
// consistency before they are swapped in. Anything else is an error that the caller logs
// before loading from the store as if there were no image: an image is never trusted.
//
// The file, little-endian:
//
//	"SPACETIME-ENGINE" (16 bytes), header length (uint32), CRC-32C of the header (uint32),
//	the header (JSON: imageHeader), then the blocks the header describes, each one as
//	its length (uint64), its bytes and their CRC-32C (uint32), and nothing after the last.
//
// The blocks are the engine's own slices written as they lie in memory, and read back
// straight into newly allocated slices of the right type: dictionaries as their arena of
// strings and their id -> reference table (only the hash tables are rebuilt), codes at
// their width, times, numbers, versions, and the time index in its sorted order.
//
// The pattern dimension, when the schema mines one, follows the columns: the dictionary
// of pattern ids, each row's code, and the miner as package patterns saves it, so that
// after a restart every ticket and every id in a URL keeps its pattern. It is not part
// of the schema's fingerprint: an image without it, or mined from another column or
// with other miner options, is used for the columns, and the held texts are mined again
// (patternDim.rebuild); an image with it read by an engine without the option skips it.

// imageFormat is the layout of the file and of the blocks. Raise it whenever the engine's
// in-memory forms that are written verbatim change (the arena's references, codeVec,
// the time index), so that an older image is rebuilt rather than misread.
const imageFormat = 1

var imageMagic = [16]byte{'S', 'P', 'A', 'C', 'E', 'T', 'I', 'M', 'E', '-', 'E', 'N', 'G', 'I', 'N', 'E'}

// ErrNoImage is returned by LoadImage when there is no image file.
var ErrNoImage = errors.New("no engine image")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maxImageHeader bounds the header a load reads, so that a damaged length cannot ask for
// gigabytes.
const maxImageHeader = 16 << 20

// ImageInfo describes an image that was saved or loaded.
type ImageInfo struct {
	Path    string        `json:"path"`
	Tickets int           `json:"tickets"`
	Bytes   int64         `json:"bytes"`
	Cursor  store.Cursor  `json:"cursor"`
	Saved   time.Time     `json:"saved"`
	Took    time.Duration `json:"took"`
}

type imageHeader struct {
	Format int `json:"format"`
	// Schema is the fingerprint of what the engine's columns depend on (schemaPrint).
	Schema  string `json:"schema"`
	History string `json:"history"`
	Cursor  string `json:"cursor"`
	// WindowMS is the engine's window in milliseconds, 0 when it held every ticket.
	WindowMS int64     `json:"windowMs"`
	Outside  int64     `json:"outside"`
	Saved    time.Time `json:"saved"`
	Rows     int       `json:"rows"`
	// ChunkBits is the arena's offset width, part of every string reference.
	ChunkBits int           `json:"chunkBits"`
	Versions  bool          `json:"versions"`
	Keys      dictImage     `json:"keys"`
	Columns   []columnImage `json:"columns"`
	// Patterns describes the blocks of the pattern dimension, after the columns' blocks.
	Patterns *patternsImage `json:"patterns,omitempty"`
}

// patternsImage describes the pattern dimension's blocks: the dictionary of ids (three
// blocks), the rows' codes (one) and the saved miner (one).
type patternsImage struct {
	// Field is the column mined, Options the version of the miner's options
	// (minerOptionsVersion): a load uses the patterns only when both are its own.
	Field   string    `json:"field"`
	Options int       `json:"options"`
	Dict    dictImage `json:"dict"`
	Width   uint8     `json:"width"`
}

// patternBlocks is how many blocks patternsImage describes.
const patternBlocks = 5

type dictImage struct {
	Len    int   `json:"len"`
	Chunks []int `json:"chunks"` // the length of each arena chunk
	Big    int   `json:"big"`    // strings kept outside the chunks
}

type columnImage struct {
	Name  string     `json:"name"`
	Kind  colKind    `json:"kind"`
	Width uint8      `json:"width,omitempty"` // of the codes
	Raw   bool       `json:"raw,omitempty"`   // a number column of plain floats
	Nums  int        `json:"nums,omitempty"`  // a coded number column's values, null included
	Dict  *dictImage `json:"dict,omitempty"`
	// Index says the time index's sorted rows follow the times (the schema's time column).
	Index bool `json:"index,omitempty"`
}

// schemaPrint fingerprints what the columns of an engine depend on, and nothing that only
// changes how they are shown, so that editing a title does not throw an image away.
func (e *Engine) schemaPrint() string {
	type col struct {
		Name   string `json:"n"`
		Type   string `json:"t"`
		Detail bool   `json:"d"`
	}
	v := struct {
		Key, Version, Time string
		Columns            []col
	}{Key: e.schema.Key, Version: e.schema.Version, Time: e.schema.Time}
	for _, c := range e.schema.Columns {
		v.Columns = append(v.Columns, col{c.Name, string(c.Type), c.Detail})
	}
	raw, _ := json.Marshal(v)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// bytesOf views a slice's memory as bytes, for writing it or reading into it.
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// SaveImage writes the engine's columns and the cursor they reflect to path, through a
// temporary file renamed over it, so that a crash leaves the previous image or the new
// one. The store must be a store.Resumer. Writers (Sync, Apply, the end of a Trim) wait
// while the columns are written to the file (the operating system's cache, about a
// second per 10 million tickets); queries do not. The file is flushed to disk after the
// writers are released.
func (e *Engine) SaveImage(ctx context.Context, path string) (ImageInfo, error) {
	start := time.Now()
	info := ImageInfo{Path: path}
	if !littleEndian() {
		return info, errors.New("save the engine image: images are written on little-endian machines only")
	}
	rs, ok := e.st.(store.Resumer)
	if !ok {
		return info, errors.New("save the engine image: the store cannot resume from a cursor")
	}
	history, err := rs.HistoryID(ctx)
	if err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	removeTemps(path)
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	// The cursor and the columns must agree: Sync holds syncMu from its read to its new
	// cursor, and every writer holds writeMu, under which the columns can be read without
	// the read lock (queries only read them).
	e.syncMu.Lock()
	e.writeMu.Lock()
	n, err := e.writeImage(tmp, history)
	info.Cursor = e.cursor
	info.Tickets = e.rows
	e.writeMu.Unlock()
	e.syncMu.Unlock()
	if err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return info, fmt.Errorf("save the engine image: %w", err)
	}
	tmp = nil
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // the rename's durability; an image is only a cache
		d.Close()
	}
	info.Bytes = n
	info.Saved = start.UTC()
	info.Took = time.Since(start)
	return info, nil
}

// removeTemps removes the temporary files of saves that did not finish (a process
// killed while writing), which would otherwise take the image's size each.
func removeTemps(path string) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && strings.HasPrefix(n, base+".") && strings.HasSuffix(n, ".tmp") {
			_ = os.Remove(filepath.Join(dir, n))
		}
	}
}

// imageWriter writes blocks with their lengths and checksums. A dry writer writes
// nothing: a dry run fills in the header that the blocks follow.
type imageWriter struct {
	w   *bufio.Writer
	dry bool
	n   int64
	err error
}

func (w *imageWriter) raw(b []byte) {
	if w.err != nil || w.dry {
		return
	}
	var k int
	k, w.err = w.w.Write(b)
	w.n += int64(k)
}

func (w *imageWriter) block(parts ...[]byte) {
	if w.dry {
		return
	}
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	w.raw(binary.LittleEndian.AppendUint64(nil, uint64(size)))
	crc := uint32(0)
	for _, p := range parts {
		w.raw(p)
		crc = crc32.Update(crc, castagnoli, p)
	}
	w.raw(binary.LittleEndian.AppendUint32(nil, crc))
}

func (w *imageWriter) dict(d *dict) dictImage {
	di := dictImage{Len: d.len(), Big: len(d.arena.big)}
	for _, c := range d.arena.chunks {
		di.Chunks = append(di.Chunks, len(c))
	}
	w.block(bytesOf(d.refs))
	w.block(d.arena.chunks...)
	if w.dry {
		return di
	}
	var big []byte
	for _, s := range d.arena.big {
		big = binary.AppendUvarint(big, uint64(len(s)))
		big = append(big, s...)
	}
	w.block(big)
	return di
}

func (w *imageWriter) codes(v *codeVec) uint8 {
	switch v.width {
	case 1:
		w.block(v.b1)
	case 2:
		w.block(bytesOf(v.b2))
	default:
		w.block(bytesOf(v.b4))
	}
	return v.width
}

// writeImage writes the file's contents to f. The caller holds syncMu and writeMu.
func (e *Engine) writeImage(f *os.File, history string) (int64, error) {
	h := imageHeader{
		Format:    imageFormat,
		Schema:    e.schemaPrint(),
		History:   history,
		Cursor:    string(e.cursor),
		WindowMS:  e.opts.Window.Milliseconds(),
		Outside:   e.outside.Load(),
		Saved:     time.Now().UTC(),
		Rows:      e.rows,
		ChunkBits: chunkOffsetBits,
		Versions:  e.versions != nil,
	}
	var main []uint32
	if tc := e.timeCol; tc != nil && tc.idx != nil {
		// Fold the unsorted tail into the sorted rows, as a query would, so that the
		// image holds one sorted list. Queries merge under the read lock and ix.mu.
		e.mu.RLock()
		tc.idx.mu.Lock()
		tc.idx.compact(tc.ms, true)
		main = tc.idx.main
		tc.idx.mu.Unlock()
		e.mu.RUnlock()
	}
	body := func(w *imageWriter) {
		h.Keys = w.dict(e.keys)
		if e.versions != nil {
			w.block(bytesOf(e.versions[:e.rows]))
		}
		h.Columns = h.Columns[:0]
		for _, c := range e.cols {
			ci := columnImage{Name: c.name, Kind: c.kind}
			switch c.kind {
			case kindString:
				d := w.dict(c.dict)
				ci.Dict = &d
				ci.Width = w.codes(&c.codes)
			case kindBool:
				ci.Width = w.codes(&c.codes)
			case kindNumber:
				if c.raw != nil {
					ci.Raw = true
					w.block(bytesOf(c.raw[:e.rows]))
				} else {
					ci.Nums = len(c.nums)
					w.block(bytesOf(c.nums))
					ci.Width = w.codes(&c.codes)
				}
			case kindTime:
				w.block(bytesOf(c.ms[:e.rows]))
				if c == e.timeCol && main != nil {
					ci.Index = true
					w.block(bytesOf(main))
				}
			}
			h.Columns = append(h.Columns, ci)
		}
		if p := e.pats; p != nil {
			pi := &patternsImage{Field: e.cols[p.src].name, Options: minerOptionsVersion}
			pi.Dict = w.dict(p.dict)
			pi.Width = w.codes(&p.col.codes)
			if !w.dry {
				w.block(p.miner.AppendBinary(nil))
			}
			h.Patterns = pi
		}
	}
	// The header, written first, describes the blocks: a dry run fills it in.
	body(&imageWriter{dry: true})
	header, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	w := &imageWriter{w: bufio.NewWriterSize(f, 1<<20)}
	w.raw(imageMagic[:])
	w.raw(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	w.raw(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(header, castagnoli)))
	w.raw(header)
	body(w)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.n, w.err
}

// LoadImage fills an engine that holds nothing yet from the image at path, and sets its
// cursor to the image's, so that the next Sync applies only the changes written after the
// image. It returns ErrNoImage when there is no file, and an error saying why when the
// image cannot be used (damaged, of another schema or window, of another store, or newer
// than the store); the engine is then unchanged, and a Sync loads it from the store.
func (e *Engine) LoadImage(ctx context.Context, path string) (ImageInfo, error) {
	start := time.Now()
	info := ImageInfo{Path: path}
	if !littleEndian() {
		return info, errors.New("load the engine image: images are read on little-endian machines only")
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return info, ErrNoImage
	}
	if err != nil {
		return info, fmt.Errorf("load the engine image: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		info.Bytes = st.Size()
	}
	r := &imageReader{r: bufio.NewReaderSize(f, 1<<20), ctx: ctx}
	h, err := r.header()
	if err != nil {
		return info, fmt.Errorf("load the engine image %s: %w", path, err)
	}
	if err := e.checkImage(ctx, h); err != nil {
		return info, fmt.Errorf("load the engine image %s: %w", path, err)
	}
	fresh, err := e.readImage(r, h)
	if err != nil {
		return info, fmt.Errorf("load the engine image %s: %w", path, err)
	}

	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.cursor != "" || e.rows != 0 {
		return info, errors.New("load the engine image: the engine has loaded tickets already")
	}
	e.mu.Lock()
	e.rows, e.keys, e.versions = fresh.rows, fresh.keys, fresh.versions
	e.cols, e.byName, e.timeCol = fresh.cols, fresh.byName, fresh.timeCol
	e.pats = fresh.pats
	e.layouts, e.lastLayout, e.lastMap = fresh.layouts, nil, nil
	e.gen.Add(1)
	e.mu.Unlock()
	e.cursor = store.Cursor(h.Cursor)
	e.outside.Store(h.Outside)
	e.cache.mu.Lock()
	e.cache.entries = nil
	e.cache.mu.Unlock()
	info.Tickets, info.Cursor, info.Saved = h.Rows, store.Cursor(h.Cursor), h.Saved
	info.Took = time.Since(start)
	return info, nil
}

// checkImage says why an image's header does not fit this engine and its store.
func (e *Engine) checkImage(ctx context.Context, h *imageHeader) error {
	switch {
	case h.Format != imageFormat:
		return fmt.Errorf("it has format %d, this build writes %d", h.Format, imageFormat)
	case h.ChunkBits != chunkOffsetBits:
		return fmt.Errorf("its string references have %d offset bits, this build %d", h.ChunkBits, chunkOffsetBits)
	case h.Schema != e.schemaPrint():
		return errors.New("it was written for another schema (its columns, types, key, version or time field differ)")
	case h.Versions != (e.versions != nil) || len(h.Columns) != len(e.cols):
		return errors.New("its columns do not match the schema")
	}
	// Another window is another set of tickets: a narrower image lacks some, a wider one
	// (or one of every ticket) holds more than this engine may until its next trim.
	if w := e.opts.Window.Milliseconds(); h.WindowMS != w {
		return fmt.Errorf("it holds %s, this engine %s", windowName(time.Duration(h.WindowMS)*time.Millisecond),
			windowName(e.opts.Window))
	}
	rs, ok := e.st.(store.Resumer)
	if !ok {
		return errors.New("the store cannot resume from a cursor")
	}
	history, err := rs.HistoryID(ctx)
	if err != nil {
		return err
	}
	if history != h.History {
		return errors.New("it was written from another store (another history id)")
	}
	if err := rs.CheckCursor(ctx, store.Cursor(h.Cursor)); err != nil {
		return fmt.Errorf("the store cannot resume from its cursor: %w", err)
	}
	return nil
}

func windowName(w time.Duration) string {
	if w <= 0 {
		return "every ticket"
	}
	return "the tickets of a window of " + w.String()
}

// imageReader reads blocks and checks their lengths and checksums.
type imageReader struct {
	r   *bufio.Reader
	ctx context.Context
}

func (r *imageReader) header() (*imageHeader, error) {
	var pre [24]byte
	if _, err := io.ReadFull(r.r, pre[:]); err != nil {
		return nil, fmt.Errorf("read its header: %w", err)
	}
	if [16]byte(pre[:16]) != imageMagic {
		return nil, errors.New("it is not an engine image (no marker)")
	}
	n := binary.LittleEndian.Uint32(pre[16:])
	if n > maxImageHeader {
		return nil, fmt.Errorf("its header length %d is implausible: the file is damaged", n)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r.r, raw); err != nil {
		return nil, fmt.Errorf("read its header: %w", err)
	}
	if crc32.Checksum(raw, castagnoli) != binary.LittleEndian.Uint32(pre[20:]) {
		return nil, errors.New("its header fails its checksum: the file is damaged")
	}
	var h imageHeader
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("its header is unreadable: %w", err)
	}
	if h.Rows < 0 || h.Rows > math.MaxInt32 {
		return nil, fmt.Errorf("its ticket count %d is implausible: the file is damaged", h.Rows)
	}
	return &h, nil
}

// into reads the next block into dst, which must be exactly its length.
func (r *imageReader) into(what string, dst []byte) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	var pre [8]byte
	if _, err := io.ReadFull(r.r, pre[:]); err != nil {
		return fmt.Errorf("%s: %w", what, truncated(err))
	}
	if n := binary.LittleEndian.Uint64(pre[:]); n != uint64(len(dst)) {
		return fmt.Errorf("%s: the block has %d bytes, the header says %d: the file is damaged", what, n, len(dst))
	}
	if _, err := io.ReadFull(r.r, dst); err != nil {
		return fmt.Errorf("%s: %w", what, truncated(err))
	}
	var sum [4]byte
	if _, err := io.ReadFull(r.r, sum[:]); err != nil {
		return fmt.Errorf("%s: %w", what, truncated(err))
	}
	if crc32.Checksum(dst, castagnoli) != binary.LittleEndian.Uint32(sum[:]) {
		return fmt.Errorf("%s fails its checksum: the file is damaged", what)
	}
	return nil
}

// any reads the next block whatever its length, up to limit bytes.
func (r *imageReader) any(what string, limit int) ([]byte, error) {
	pre, err := r.r.Peek(8)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, truncated(err))
	}
	n := binary.LittleEndian.Uint64(pre)
	if n > uint64(limit) {
		return nil, fmt.Errorf("%s: the block has %d bytes, more than %d: the file is damaged", what, n, limit)
	}
	b := make([]byte, n)
	return b, r.into(what, b)
}

// skip reads past the next block, checking its checksum, without holding it in memory
// (a damaged length then costs a read to the end of the file, not an allocation).
func (r *imageReader) skip(what string) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	var pre [8]byte
	if _, err := io.ReadFull(r.r, pre[:]); err != nil {
		return fmt.Errorf("%s: %w", what, truncated(err))
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > math.MaxInt64 {
		return fmt.Errorf("%s: the block has %d bytes: the file is damaged", what, n)
	}
	crc := crc32.New(castagnoli)
	if _, err := io.CopyN(crc, r.r, int64(n)); err != nil {
		return fmt.Errorf("%s: %w", what, truncated(err))
	}
	var sum [4]byte
	if _, err := io.ReadFull(r.r, sum[:]); err != nil {
		return fmt.Errorf("%s: %w", what, truncated(err))
	}
	if crc.Sum32() != binary.LittleEndian.Uint32(sum[:]) {
		return fmt.Errorf("%s fails its checksum: the file is damaged", what)
	}
	return nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the file ends early: it is truncated")
	}
	return err
}

// slack is the room left after the rows read, so that the first writes after a load do
// not copy every column to grow it. Untouched room of a large allocation is not resident.
func slack(n int) int { return n + n/16 + 1024 }

// readImage builds a new engine, not yet visible to anyone, from the blocks.
func (e *Engine) readImage(r *imageReader, h *imageHeader) (*Engine, error) {
	fresh := New(e.schema, e.st, e.opts)
	rows := h.Rows
	fresh.rows = rows
	keys, err := r.dict("the keys", &h.Keys, rows, false)
	if err != nil {
		return nil, err
	}
	if keys.len() != rows {
		return nil, fmt.Errorf("it has %d keys for %d tickets: the file is damaged", keys.len(), rows)
	}
	fresh.keys = keys
	if h.Versions {
		fresh.versions = make([]int64, rows, slack(rows))
		if err := r.into("the versions", bytesOf(fresh.versions)); err != nil {
			return nil, err
		}
	}
	for i, c := range fresh.cols {
		ci := &h.Columns[i]
		if ci.Name != c.name || ci.Kind != c.kind {
			return nil, fmt.Errorf("its column %d is %q, the schema's is %q: the file is damaged", i, ci.Name, c.name)
		}
		what := fmt.Sprintf("column %q", c.name)
		switch c.kind {
		case kindString:
			if ci.Dict == nil {
				return nil, fmt.Errorf("%s has no dictionary: the file is damaged", what)
			}
			d, err := r.dict(what, ci.Dict, rows, true)
			if err != nil {
				return nil, err
			}
			c.dict = d
			if err := r.codes(what, &c.codes, ci.Width, rows, d.len()); err != nil {
				return nil, err
			}
		case kindBool:
			if err := r.codes(what, &c.codes, ci.Width, rows, 3); err != nil {
				return nil, err
			}
		case kindNumber:
			if ci.Raw {
				c.codes, c.nums, c.numCode = codeVec{}, nil, nil
				c.raw = make([]float64, rows, slack(rows))
				if err := r.into(what, bytesOf(c.raw)); err != nil {
					return nil, err
				}
				break
			}
			if ci.Nums < 1 || ci.Nums > c.numberCodes {
				return nil, fmt.Errorf("%s has %d number codes: the file is damaged", what, ci.Nums)
			}
			c.nums = make([]float64, ci.Nums)
			if err := r.into(what, bytesOf(c.nums)); err != nil {
				return nil, err
			}
			c.numCode = make(map[float64]uint32, len(c.nums))
			for code, f := range c.nums[1:] {
				c.numCode[f] = uint32(code + 1)
			}
			if len(c.numCode) != len(c.nums)-1 {
				return nil, fmt.Errorf("%s repeats a number code: the file is damaged", what)
			}
			if err := r.codes(what, &c.codes, ci.Width, rows, len(c.nums)); err != nil {
				return nil, err
			}
		case kindTime:
			c.ms = make([]int64, rows, slack(rows))
			if err := r.into(what, bytesOf(c.ms)); err != nil {
				return nil, err
			}
			if c != fresh.timeCol {
				if ci.Index {
					return nil, fmt.Errorf("%s has a time index, which only the time field has: the file is damaged", what)
				}
				break
			}
			c.idx = nil
			if ci.Index {
				main := make([]uint32, rows)
				if err := r.into(what+", its index", bytesOf(main)); err != nil {
					return nil, err
				}
				if err := checkOrder(main, c.ms); err != nil {
					return nil, fmt.Errorf("%s: %w", what, err)
				}
				c.idx = &timeIndex{main: main}
				words := (rows + 63) / 64
				c.idx.inTail = make([]uint64, words, (slack(rows)+63)/64)
			} else {
				c.idx = newTimeIndex(rows)
				c.idx.compact(c.ms, true)
			}
		}
	}
	restored, err := r.patterns(h.Patterns, fresh.pats, fresh.cols, rows)
	if err != nil {
		return nil, err
	}
	// Nothing may follow the last block.
	if _, err := r.r.ReadByte(); err != io.EOF {
		return nil, errors.New("it has bytes after its last block: the file is damaged")
	}
	if fresh.pats != nil && !restored {
		if err := fresh.pats.rebuild(r.ctx, fresh.cols[fresh.pats.src], rows); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}

// patterns reads the pattern dimension's blocks into p when the image has them for p's
// column and miner options, and says whether it did; otherwise it skips them.
func (r *imageReader) patterns(pi *patternsImage, p *patternDim, cols []*column, rows int) (bool, error) {
	if pi == nil {
		return false, nil
	}
	if p == nil || pi.Field != cols[p.src].name || pi.Options != minerOptionsVersion {
		for i := range patternBlocks {
			if err := r.skip(fmt.Sprintf("the patterns, block %d", i+1)); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	const what = "the patterns"
	d, err := r.dict(what, &pi.Dict, rows, true)
	if err != nil {
		return false, err
	}
	p.col.dict = d
	if err := r.codes(what, &p.col.codes, pi.Width, rows, d.len()); err != nil {
		return false, err
	}
	saved, err := r.any(what+", the miner", math.MaxInt32)
	if err != nil {
		return false, err
	}
	if err := p.restore(saved); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
}

// checkOrder checks that main lists every row once, sorted by (time, row): what the time
// index's searches rely on.
func checkOrder(main []uint32, ms []int64) error {
	for i, r := range main {
		if int(r) >= len(ms) || (i > 0 && !before(ms, main[i-1], r)) {
			return errors.New("its time index is out of order: the file is damaged")
		}
	}
	return nil
}

// codes reads a code vector of rows codes of the given width, each below count.
func (r *imageReader) codes(what string, v *codeVec, width uint8, rows, count int) error {
	*v = codeVec{width: width}
	var top uint32
	switch width {
	case 1:
		v.b1 = make([]uint8, rows, slack(rows))
		if err := r.into(what, v.b1); err != nil {
			return err
		}
		top = maxCode(v.b1)
	case 2:
		v.b2 = make([]uint16, rows, slack(rows))
		if err := r.into(what, bytesOf(v.b2)); err != nil {
			return err
		}
		top = maxCode(v.b2)
	case 4:
		v.b4 = make([]uint32, rows, slack(rows))
		if err := r.into(what, bytesOf(v.b4)); err != nil {
			return err
		}
		top = maxCode(v.b4)
	default:
		return fmt.Errorf("%s: codes of width %d: the file is damaged", what, width)
	}
	if rows > 0 && int64(top) >= int64(count) {
		return fmt.Errorf("%s: code %d is beyond its %d values: the file is damaged", what, top, count)
	}
	return nil
}

func maxCode[T uint8 | uint16 | uint32](s []T) uint32 {
	var m T
	for _, c := range s {
		m = max(m, c)
	}
	return uint32(m)
}

// dict reads a dictionary of strings and rebuilds its hash table. Value dictionaries
// (withNull) keep id 0 for null, which no lookup finds.
func (r *imageReader) dict(what string, di *dictImage, rows int, withNull bool) (*dict, error) {
	what += ", its dictionary"
	if di.Len < 0 || di.Len > math.MaxInt32 || (withNull && di.Len < 1) || len(di.Chunks) > maxChunks || di.Big < 0 {
		return nil, fmt.Errorf("%s has an implausible size: the file is damaged", what)
	}
	d := newDict()
	room := di.Len + 1024
	if !withNull {
		room = slack(di.Len)
	}
	d.refs = make([]uint32, di.Len, room)
	if err := r.into(what, bytesOf(d.refs)); err != nil {
		return nil, err
	}
	total := 0
	for _, n := range di.Chunks {
		if n < 0 || n > maxChunkSize {
			return nil, fmt.Errorf("%s has a chunk of %d bytes: the file is damaged", what, n)
		}
		total += n
	}
	arena := make([]byte, total)
	if err := r.into(what, arena); err != nil {
		return nil, err
	}
	for _, n := range di.Chunks {
		d.arena.chunks = append(d.arena.chunks, arena[:n:n])
		arena = arena[n:]
	}
	big, err := r.any(what, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	for range di.Big {
		n, k := binary.Uvarint(big)
		if k <= 0 || n > uint64(len(big)-k) {
			return nil, fmt.Errorf("%s: its long strings are damaged", what)
		}
		d.arena.big = append(d.arena.big, string(big[k:k+int(n)]))
		big = big[k+int(n):]
	}
	first := 0
	if withNull {
		first = 1
		if s, ok := d.arena.checkedGet(d.refs[0]); !ok || s != "" {
			return nil, fmt.Errorf("%s: its null entry is damaged", what)
		}
	}
	if err := d.rebuild(first); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return d, nil
}

// checkedGet is get for a reference read from a file: false when it points outside the
// arena.
func (a *arena) checkedGet(ref uint32) (string, bool) {
	if ref&bigRef != 0 {
		i := int(ref &^ bigRef)
		if i >= len(a.big) {
			return "", false
		}
		return a.big[i], true
	}
	ci := int(ref >> chunkOffsetBits)
	if ci >= len(a.chunks) {
		return "", false
	}
	c := a.chunks[ci]
	off := int(ref & (maxChunkSize - 1))
	if off >= len(c) {
		return "", false
	}
	n, k := binary.Uvarint(c[off:])
	if k <= 0 || n > uint64(len(c)-off-k) {
		return "", false
	}
	if n == 0 {
		return "", true
	}
	return unsafe.String(&c[off+k], int(n)), true
}

// rebuildBatch is how many strings rebuild hashes at a time.
const rebuildBatch = 1 << 16

// rebuild fills the hash table of a dictionary whose refs and arena were read, from id
// first on. It hashes batches of strings on every core, then inserts them with each core
// owning a share of the shards, so that ten million keys take a fraction of a second. A
// reference outside the arena, or a string given twice, is an error.
func (d *dict) rebuild(first int) error {
	n := len(d.refs) - first
	if n <= 0 {
		return nil
	}
	// Size every shard for its expected share once, with a margin, so that it rarely
	// grows; a shard that gets more than its share grows as usual.
	per := n/len(d.shards) + n/len(d.shards)/8 + 8
	size := 8
	for size*3 < per*4 {
		size *= 2
	}
	for i := range d.shards {
		d.shards[i].slots = make([]uint64, size)
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	hashes := make([]uint64, min(n, rebuildBatch))
	var (
		wg      sync.WaitGroup
		errMu   sync.Mutex
		problem error
	)
	fail := func(err error) {
		errMu.Lock()
		if problem == nil {
			problem = err
		}
		errMu.Unlock()
	}
	for lo := first; lo < len(d.refs) && problem == nil; lo += rebuildBatch {
		hi := min(lo+rebuildBatch, len(d.refs))
		batch := hashes[:hi-lo]
		step := (len(batch) + workers - 1) / workers
		for w := range workers {
			a, b := w*step, min((w+1)*step, len(batch))
			if a >= b {
				continue
			}
			wg.Go(func() {
				for i := a; i < b; i++ {
					s, ok := d.arena.checkedGet(d.refs[lo+i])
					if !ok {
						fail(fmt.Errorf("string %d points outside its arena: the file is damaged", lo+i))
						return
					}
					batch[i] = d.hash(s)
				}
			})
		}
		wg.Wait()
		if problem != nil {
			break
		}
		for w := range workers {
			wg.Go(func() {
				for i, h := range batch {
					shard := int(h >> 56)
					if shard%workers != w {
						continue
					}
					if !d.shards[shard].add(d, h, uint32(lo+i)) {
						fail(fmt.Errorf("string %d is given twice: the file is damaged", lo+i))
						return
					}
				}
			})
		}
		wg.Wait()
	}
	return problem
}

// add inserts id, whose string hashes to h, unless the string is there already.
func (sh *dictShard) add(d *dict, h uint64, id uint32) bool {
	if (sh.n+1)*4 > len(sh.slots)*3 {
		sh.grow()
	}
	tag := uint32(h)
	mask := uint32(len(sh.slots) - 1)
	for i := tag & mask; ; i = (i + 1) & mask {
		slot := sh.slots[i]
		if slot == 0 {
			sh.slots[i] = uint64(tag)<<32 | uint64(id+1)
			sh.n++
			return true
		}
		if uint32(slot>>32) == tag && d.get(uint32(slot)-1) == d.get(id) {
			return false
		}
	}
}
