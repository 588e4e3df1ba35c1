package ksc

import (
	"context"
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
	id    string
	total int // -1 when unknown
	gen   uint64
}

// family describes one kind of result set: how to open it, read a batch from
// it, and release it.
type family[T any] struct {
	// name names the family in logs.
	name string
	// open opens the result set; it must record the session generation in h.gen.
	open func(ctx context.Context) (handle, error)
	// read returns the items from position pos, the next position, and whether
	// the set is exhausted. It runs pinned to h.gen.
	read func(ctx context.Context, h handle, pos int) (items []T, next int, done bool, err error)
	// release frees the handle, pinned to h.gen.
	release func(ctx context.Context, h handle) error
	// repeatableRead is true when a read may be retried as it is; a read that
	// is not (GroupSyncIterator.GetNextItems) and fails in transit re-runs the
	// set instead.
	repeatableRead bool
	// key identifies an item, so that a result set re-run from the start does
	// not yield an item twice; "" disables de-duplication for that item.
	key func(T) string
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
func runOnce[T any](ctx context.Context, c *Client, f family[T], seen map[string]struct{}, yield func(T, error) bool) (again bool, err error) {
	h, err := f.open(ctx)
	if err != nil {
		return false, err
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
	pos := 0
	for {
		items, next, done, err := f.read(ctx, h, pos)
		if err != nil {
			if f.restartable(err) && ctx.Err() == nil {
				if errors.Is(err, errSessionRenewed) {
					released = true // the handle went with its session
				}
				return true, err
			}
			return false, err
		}
		for _, it := range items {
			if f.key != nil {
				if k := f.key(it); k != "" {
					if _, dup := seen[k]; dup {
						continue
					}
					seen[k] = struct{}{}
				}
			}
			if !yield(it, nil) {
				return false, nil
			}
		}
		if done || next <= pos {
			return false, nil
		}
		pos = next
	}
}

// chunkAccessor builds a ChunkAccessor family from an opening call that returns
// strAccessor and the item count.
// chunkOut is the decoded response of ChunkAccessor.GetItemsChunk: the items
// and how many entries (null ones included) the chunk held.
type chunkOut[T any] interface {
	chunkItems() (items []T, raw int, err error)
}

func chunkAccessor[T any, O chunkOut[T]](c *Client, name string, open func(ctx context.Context, gen *uint64) (string, int, error),
	newOut func() O, key func(T) string) family[T] {
	return family[T]{
		name: name,
		open: func(ctx context.Context) (handle, error) {
			var h handle
			id, total, err := open(ctx, &h.gen)
			if err != nil {
				return h, err
			}
			h.id, h.total = id, total
			if h.total < 0 {
				var out struct {
					Count flexInt `json:"PxgRetVal"`
				}
				err := c.call(ctx, "ChunkAccessor.GetItemsCount", Params{"strAccessor": h.id}, &out, callOpts{idempotent: true, pin: &h.gen})
				if err != nil {
					c.releaseChunkAccessor(ctx, h)
					return h, err
				}
				h.total = int(out.Count.v)
			}
			return h, nil
		},
		read: func(ctx context.Context, h handle, pos int) ([]T, int, bool, error) {
			if pos >= h.total {
				return nil, pos, true, nil
			}
			n := min(c.core.chunk, h.total-pos)
			out := newOut()
			args := Params{"strAccessor": h.id, "nStart": pos, "nCount": n}
			if err := c.call(ctx, "ChunkAccessor.GetItemsChunk", args, out, callOpts{idempotent: true, pin: &h.gen}); err != nil {
				return nil, pos, false, err
			}
			items, raw, err := out.chunkItems()
			if err != nil {
				return nil, pos, false, err
			}
			next := pos + raw
			return items, next, raw == 0 || next >= h.total, nil
		},
		release: func(ctx context.Context, h handle) error {
			return c.call(ctx, "ChunkAccessor.Release", Params{"strAccessor": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
		},
		repeatableRead: true,
		key:            key,
	}
}

func (c *Client) releaseChunkAccessor(ctx context.Context, h handle) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = c.call(rctx, "ChunkAccessor.Release", Params{"strAccessor": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
}

// groupSyncIterator builds a GroupSyncIterator family from an opening call that
// returns wstrIterator. Reading the next items is not repeatable, so a read
// that fails in transit re-runs the set instead of being retried.
func groupSyncIterator[T any](c *Client, name string, open func(ctx context.Context, gen *uint64) (string, error), key func(T) string) family[T] {
	return family[T]{
		name: name,
		open: func(ctx context.Context) (handle, error) {
			var h handle
			id, err := open(ctx, &h.gen)
			h.id, h.total = id, -1
			return h, err
		},
		read: func(ctx context.Context, h handle, pos int) ([]T, int, bool, error) {
			var out struct {
				Data itemArray[T] `json:"pData"`
				EOF  flexBool     `json:"bEOF"`
			}
			args := Params{"szwIterator": h.id, "nCount": c.core.chunk}
			if err := c.call(ctx, "GroupSyncIterator.GetNextItems", args, &out, callOpts{idempotent: false, pin: &h.gen}); err != nil {
				return nil, pos, false, err
			}
			n := len(out.Data.Items)
			return out.Data.values(), pos + n, out.EOF.v || n == 0, nil
		},
		release: func(ctx context.Context, h handle) error {
			return c.call(ctx, "GroupSyncIterator.ReleaseIterator", Params{"szwIterator": h.id}, nil, callOpts{idempotent: true, pin: &h.gen})
		},
		key: key,
	}
}
