package hub

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"strconv"
)

// page is one page of a paged list.
type page[T any] struct {
	Items    []T  `json:"items"`
	NextPage *int `json:"nextPage"`
}

// list walks a paged list from page 1, following nextPage until it is null.
// A next page that does not move forward, or an empty page that announces a
// next one, ends the walk with ErrBadResponse, so that a server repeating a
// page cannot make the walk loop. An error is yielded once and ends the walk.
func list[T any](ctx context.Context, c *Client, path string, query url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		n := 1
		for {
			q := maps.Clone(query)
			if q == nil {
				q = url.Values{}
			}
			q.Set("page", strconv.Itoa(n))
			q.Set("pageSize", strconv.Itoa(c.pageSize))
			var p page[T]
			if err := c.get(ctx, path, q, &p); err != nil {
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if p.NextPage == nil {
				return
			}
			next := *p.NextPage
			switch {
			case next <= n:
				yield(zero, fmt.Errorf("hub: GET %s: %w: page %d names page %d as the next one", path, ErrBadResponse, n, next))
				return
			case len(p.Items) == 0:
				yield(zero, fmt.Errorf("hub: GET %s: %w: page %d is empty but names a next page", path, ErrBadResponse, n))
				return
			}
			n = next
		}
	}
}

// Collect reads a whole list into a slice; it returns the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
