package ksc

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"time"
)

// releaseTimeout bounds the release of a result set, which runs even when the
// caller's context is already cancelled.
const releaseTimeout = 15 * time.Second

// maxRestarts is how many times a result set is re-run from the start after its
// session ended or a non-repeatable read failed in transit.
const maxRestarts = 2

// handle is an open server-side result set.
type handle struct {
	id string
	// total is the number of items the server announced (the accessor's
	// count, lKeyCount, the record count); a read that ends with another
	// number of distinct items is an error.
	total int
	gen   uint64
}

// page is one read of a result set.
type page[T any] struct {
	items []T
	// next is the position of the next read.
	next int
	// eof is the server's end mark (GroupSyncIterator's bEOF).
	eof bool
}

// family describes one kind of result set: how to open it, read a page of it,
// and release it. Whether a read is complete is decided once, in runOnce, for
// every family: see there.
type family[T any] struct {
	// name names the family in logs.
	name string
	// readMethod is the Open API method that reads a page, for errors.
	readMethod string
	// idField is the item's identity attribute, for errors.
	idField string
	// open opens the result set and reads the count the server announces; it
	// must record the session generation in h.gen.
	open func(ctx context.Context) (handle, error)
	// read returns the page at position pos. It runs pinned to h.gen. It
	// decodes strictly: a missing or null list or a null element is an error.
	read func(ctx context.Context, h handle, pos int) (page[T], error)
	// release frees the handle, pinned to h.gen.
	release func(ctx context.Context, h handle) error
	// repeatableRead is true when a read may be retried as it is; a read that
	// is not (GroupSyncIterator.GetNextItems) and fails in transit re-runs the
	// set instead.
	repeatableRead bool
	// endByEOF says the set ends when the server marks its end (bEOF) rather
	// than when the announced count is reached.
	endByEOF bool
	// key is an item's identity; an item without one is an error. A result
	// set re-run from the start does not yield an item twice, and an item read
	// twice within one run (overlapping event ranges) counts once.
	key func(T) string
	// check, when set, refuses an item whose fields cannot be trusted (a
	// field that decides billing or service orders is absent or has a value
	// the server does not define); the read is then an error.
	check func(T) error
}

// restartable reports whether a read failure is cured by re-running the query
// under a (new) session: the session ended, or a non-repeatable read got no
// answer. Repeatable reads have had their retries already.
func (f *family[T]) restartable(err error) bool {
	return errors.Is(err, errSessionRenewed) || !f.repeatableRead && errors.Is(err, errTransport)
}

// iterate turns a family into an iterator. The server-side handle is released
// whatever happens: the end of the set, an error, or the caller breaking out of
// the loop (even by panicking). After a yielded error the iterator stops.
//
// Items are yielded as they are read, before the set is known to be complete:
// a caller that acts on what is absent from the set must collect it and act
// only when the loop ended without an error.
func iterate[T any](ctx context.Context, c *Client, f family[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[string]struct{}{}
		for restarts := 0; ; restarts++ {
			again, err := runOnce(ctx, c, f, seen, yield)
			if err == nil && !again {
				return
			}
			if again && restarts < maxRestarts && ctx.Err() == nil {
				c.core.log.Info("ksc result set re-run from the start", slog.String("family", f.name), slog.Int("restart", restarts+1))
				continue
			}
			if again {
				if ctx.Err() != nil {
					err = ctx.Err()
				} else {
					err = errors.Join(ErrSessionLost, err)
				}
			}
			yield(zero, err)
			return
		}
	}
}

// runOnce opens and reads the set once. It returns again=true (with the cause)
// when the set should be re-run from the start, and a non-nil error with
// again=false for a final failure. Stopping because the caller broke out is
// (false, nil).
//
// A read is complete or it is an error (wrapping ErrIncomplete): the distinct
// items of the run must number what the server announced; an empty page
// before that number is reached, a page of items already read, a page without
// progress, an end mark (bEOF)
// before it, an empty page without the end mark, more items than announced and
// an item without its identity are all errors, never the end of the set.
func runOnce[T any](ctx context.Context, c *Client, f family[T], seen map[string]struct{}, yield func(T, error) bool) (again bool, err error) {
	h, err := f.open(ctx)
	if err != nil {
		// The session ended between the opening call and the count read
		// under it: the handle went with it, and the set is opened again.
		return errors.Is(err, errSessionRenewed) && ctx.Err() == nil, err
	}
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if rerr := f.release(rctx, h); rerr != nil && !errors.Is(rerr, errSessionRenewed) {
			c.core.log.Warn("ksc result set not released", slog.String("family", f.name), slog.String("error", rerr.Error()))
		}
	}
	defer release()
	if h.total < 0 {
		return false, incomplete(f.readMethod, "%s announced %d items", f.name, h.total)
	}
	// got counts the distinct items of this run, whether or not an earlier
	// run yielded them already.
	got := 0
	run := map[string]struct{}{}
	pos := 0
	for {
		if !f.endByEOF && got >= h.total {
			return false, nil
		}
		p, err := f.read(ctx, h, pos)
		if err != nil {
			if f.restartable(err) && ctx.Err() == nil {
				if errors.Is(err, errSessionRenewed) {
					released = true // the handle went with its session
				}
				return true, err
			}
			return false, err
		}
		fresh := 0
		for i, it := range p.items {
			k := f.key(it)
			if k == "" {
				return false, incomplete(f.readMethod, "item %d of the page at position %d has no %s", i, pos, f.idField)
			}
			if f.check != nil {
				if err := f.check(it); err != nil {
					return false, incomplete(f.readMethod, "item %d of the page at position %d (%s %q): %v", i, pos, f.idField, k, err)
				}
			}
			if _, dup := run[k]; dup {
				continue
			}
			run[k] = struct{}{}
			got++
			fresh++
			if got > h.total {
				return false, incomplete(f.readMethod, "more items than the %d the server announced", h.total)
			}
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			if !yield(it, nil) {
				return false, nil
			}
		}
		switch {
		case f.endByEOF && p.eof:
			if got != h.total {
				return false, incomplete(f.readMethod, "end of the set (bEOF) after %d items, %d announced", got, h.total)
			}
			return false, nil
		case f.endByEOF && len(p.items) == 0:
			return false, incomplete(f.readMethod, "empty page without the end mark (bEOF false) after %d of %d items", got, h.total)
		case len(p.items) == 0:
			return false, incomplete(f.readMethod, "empty page at position %d: %d of %d announced items read", pos, got, h.total)
		case fresh == 0:
			// Every page adds an item, or the set would be read forever.
			return false, incomplete(f.readMethod, "the page at position %d repeats items already read: %d of %d announced items read", pos, got, h.total)
		case !f.endByEOF && p.next >= h.total && got < h.total:
			return false, incomplete(f.readMethod, "the set ended at position %d with %d distinct items, %d announced", p.next, got, h.total)
		case p.next <= pos:
			return false, incomplete(f.readMethod, "no progress at position %d", pos)
		}
		pos = p.next
	}
}

// openBody is a result that keeps the body of an answer as it is, so that
// the opening calls of result sets can decode it themselves and still release
// the handle the answer names when the rest of it does not decode.
type openBody struct{ b []byte }

func (o *openBody) scanBody(body []byte) bool {
	o.b = body
	return true
}

// openResultSet runs the call that opens a result set, decodes its answer
// into out with check, and, when that fails, releases the handle named by the
// answer's member idField if it can be read.
func (c *Client) openResultSet(ctx context.Context, method string, args Params, gen *uint64, idField string, out any,
	check func() error, release func(ctx context.Context, h handle)) error {
	var raw openBody
	if err := c.call(ctx, method, args, &raw, callOpts{idempotent: true, usedGen: gen}); err != nil {
		return err
	}
	err := json.Unmarshal(raw.b, out)
	if err != nil {
		err = incomplete(method, "decode response: %v", err)
	} else {
		err = check()
	}
	if err == nil {
		return nil
	}
	// Only the handle's member is decoded: encoding/json skips the others
	// without keeping them.
	var m map[string]json.RawMessage
	if json.Unmarshal(raw.b, &m) != nil {
		m = nil
	}
	var id string
	if v := m[idField]; len(v) > 0 && json.Unmarshal(v, &id) == nil && id != "" {
		release(ctx, handle{id: id, gen: *gen})
	}
	return err
}

// chunkOut is the decoded response of ChunkAccessor.GetItemsChunk.
type chunkOut[T any] interface {
	chunkItems() (items []T, err error)
}

// chunkAccessor builds a ChunkAccessor family from an opening call that returns
// strAccessor and the item count (-1 when the answer had none: the count is
// then read with ChunkAccessor.GetItemsCount).
func chunkAccessor[T any, O chunkOut[T]](c *Client, name, idField string, open func(ctx context.Context, gen *uint64) (string, int, error),
	newOut func() O, key func(T) string) family[T] {
	const method = "ChunkAccessor.GetItemsChunk"
	return family[T]{
		name:       name,
		readMethod: method,
		idField:    idField,
		open: func(ctx context.Context) (handle, error) {
			var h handle
			id, total, err := open(ctx, &h.gen)
			if err != nil {
				return h, err
			}
			h.id, h.total = id, total
			if h.total < 0 {
				const countMethod = "ChunkAccessor.GetItemsCount"
				var out struct {
					Count *countInt `json:"PxgRetVal"`
				}
				err := c.call(ctx, countMethod, Params{"strAccessor": h.id}, &out, callOpts{idempotent: true, pin: &h.gen})
				if err == nil && (out.Count == nil || !out.Count.ok) {
					err = incomplete(countMethod, "response has no count (PxgRetVal)")
				}
				if err == nil && (out.Count.v < 0 || out.Count.v > maxSetItems) {
					err = incomplete(countMethod, "count %d is out of range", out.Count.v)
				}
				if err != nil {
					c.releaseChunkAccessor(ctx, h)
					return h, err
				}
				h.total = int(out.Count.v)
			}
			return h, nil
		},
		read: func(ctx context.Context, h handle, pos int) (page[T], error) {
			n := min(c.core.chunk, max(h.total-pos, 1))
			out := newOut()
			args := Params{"strAccessor": h.id, "nStart": pos, "nCount": n}
			if err := c.call(ctx, method, args, out, callOpts{idempotent: true, pin: &h.gen}); err != nil {
				return page[T]{}, err
			}
			items, err := out.chunkItems()
			if err != nil {
				return page[T]{}, err
			}
			if len(items) > n {
				return page[T]{}, incomplete(method, "%d items where at most %d were asked for", len(items), n)
			}
			return page[T]{items: items, next: pos + len(items)}, nil
		},
		release: func(ctx context.Context, h handle) error {
			return c.call(ctx, "ChunkAccessor.Release", Params{"strAccessor": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
		},
		repeatableRead: true,
		key:            key,
	}
}

// maxSetItems bounds the count a server may announce for one result set.
const maxSetItems = 1 << 30

func (c *Client) releaseChunkAccessor(ctx context.Context, h handle) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = c.call(rctx, "ChunkAccessor.Release", Params{"strAccessor": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
}

func (c *Client) releaseIterator(ctx context.Context, h handle) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = c.call(rctx, "GroupSyncIterator.ReleaseIterator", Params{"szwIterator": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
}

// nextItemsOut is the answer of GroupSyncIterator.GetNextItems.
type nextItemsOut[T any] struct {
	Data *itemArray[T] `json:"pData"`
	EOF  *flexBool     `json:"bEOF"`
	// scanned holds the page when scanBody read the body (encoding/json
	// ignores the field); see key_host_scan.go.
	scanned *scannedPage[T]
}

// page checks the answer's shape and returns its items and end mark.
func (o *nextItemsOut[T]) page() ([]T, bool, error) {
	const method = "GroupSyncIterator.GetNextItems"
	if o.scanned != nil {
		return o.scanned.items, o.scanned.eof, nil
	}
	if o.Data == nil {
		return nil, false, incomplete(method, "response has no pData (missing or null)")
	}
	if o.EOF == nil || !o.EOF.ok {
		return nil, false, incomplete(method, "response has no bEOF")
	}
	items, err := o.Data.list(method, "pData")
	return items, o.EOF.v, err
}

// groupSyncIterator builds a GroupSyncIterator family from an opening call that
// returns wstrIterator and lKeyCount. Reading the next items is not
// repeatable, so a read that fails in transit re-runs the set instead of being
// retried.
func groupSyncIterator[T any](c *Client, name, idField string, open func(ctx context.Context, gen *uint64) (string, int, error), key func(T) string) family[T] {
	const method = "GroupSyncIterator.GetNextItems"
	return family[T]{
		name:       name,
		readMethod: method,
		idField:    idField,
		open: func(ctx context.Context) (handle, error) {
			var h handle
			id, total, err := open(ctx, &h.gen)
			h.id, h.total = id, total
			return h, err
		},
		read: func(ctx context.Context, h handle, pos int) (page[T], error) {
			var out nextItemsOut[T]
			args := Params{"szwIterator": h.id, "nCount": c.core.chunk}
			if err := c.call(ctx, method, args, &out, callOpts{idempotent: false, pin: &h.gen}); err != nil {
				return page[T]{}, err
			}
			items, eof, err := out.page()
			if err != nil {
				return page[T]{}, err
			}
			return page[T]{items: items, next: pos + len(items), eof: eof}, nil
		},
		release: func(ctx context.Context, h handle) error {
			return c.call(ctx, "GroupSyncIterator.ReleaseIterator", Params{"szwIterator": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
		},
		endByEOF: true,
		key:      key,
	}
}
