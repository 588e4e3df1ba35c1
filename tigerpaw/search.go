package tigerpaw

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"iter"
	"log/slog"
	"strings"
)

// SearchType names what a search criterion matches on.
type SearchType string

// Search types of Tigerpaw's searches. Accounts use the account ones, the price
// book the item ones.
const (
	SearchAccountName     SearchType = "AccountName"
	SearchAccountNumber   SearchType = "AccountNumber"
	SearchExternalID      SearchType = "ExternalId"
	SearchCustomField     SearchType = "CustomField"
	SearchExternalProduct SearchType = "ExteralProduct" // sic: Tigerpaw's spelling
	SearchItemID          SearchType = "ItemId"
	SearchItemDescription SearchType = "ItemDescription"
)

// MatchType says how a criterion's text matches.
type MatchType string

// Match types. Tigerpaw's default is MatchStartsWith.
const (
	MatchStartsWith MatchType = "StartsWith"
	MatchEndsWith   MatchType = "EndsWith"
	MatchContains   MatchType = "Contains"
)

// Criterion is one condition of a search. Criteria of one SearchType are OR-ed,
// criteria of different SearchTypes AND-ed.
type Criterion struct {
	SearchType SearchType `json:"SearchType"`
	MatchType  MatchType  `json:"MatchType,omitempty"`
	Criteria   string     `json:"Criteria"`
}

// Search is a search request. With no criteria every object is returned. PageSize
// is the size of the pages fetched (the client's page size when 0); iterators
// fetch all pages.
type Search struct {
	Criteria []Criterion
	PageSize int
}

// searchBody is the JSON body of the POST searches.
type searchBody struct {
	Criteria []Criterion `json:"Criteria"`
	PageSize int         `json:"PageSize"`
	StartRow int         `json:"StartRow"`
}

func (s Search) body(startRow, pageSize int) searchBody {
	crit := s.Criteria
	if crit == nil {
		crit = []Criterion{}
	}
	return searchBody{Criteria: crit, PageSize: pageSize, StartRow: startRow}
}

func (s Search) validate() error {
	if s.PageSize < 0 {
		return fmt.Errorf("tigerpaw: search: PageSize %d is negative", s.PageSize)
	}
	for i, c := range s.Criteria {
		if c.SearchType == "" {
			return fmt.Errorf("tigerpaw: search: criterion %d: SearchType is empty", i)
		}
	}
	return nil
}

// pageInfo is the paging part of a search envelope. TotalCount is nil when the
// server sends none.
type pageInfo struct {
	PageSize   int
	NextRow    int
	TotalCount *int
}

// page is one page of a search: its items and the paging fields.
type page[T any] struct {
	items []T
	raw   json.RawMessage
	info  pageInfo
}

// decodePage reads a search envelope whose item list is under key, strictly:
// the body must be an object, the list present (one key, matched ignoring
// case), not null, and each item must pass spec (see decodeList).
func decodePage[T any](c *Client, method, path string, body []byte, key string, spec listSpec[T]) (page[T], error) {
	var p page[T]
	if err := checkLimits(body); err != nil {
		return p, malformed(method, path, "%v", err)
	}
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
		return p, malformed(method, path, "the answer is not a JSON object with a %s list: %s", key, excerptN(b, 40))
	}
	var fields map[string]json.RawMessage
	if err := c.decode(method, path, body, &fields); err != nil {
		return p, err
	}
	if err := c.decode(method, path, body, &p.info); err != nil {
		return p, err
	}
	found := 0
	for k, v := range fields {
		if strings.EqualFold(k, key) {
			p.raw = v
			found++
		}
	}
	switch {
	case found == 0:
		return p, malformed(method, path, "the answer has no %s list", key)
	case found > 1:
		return p, malformed(method, path, "the answer has %d %s lists (keys differing in letter case)", found, key)
	}
	if p.info.TotalCount != nil && *p.info.TotalCount < 0 {
		return p, malformed(method, path, "TotalCount %d is negative", *p.info.TotalCount)
	}
	items, err := decodeList(c, method, path, p.raw, spec)
	if err != nil {
		return p, err
	}
	p.items = items
	return p, nil
}

// excerptN returns at most n bytes of b, for an error message.
func excerptN(b []byte, n int) string {
	if len(b) <= n {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q…", b[:n])
}

// paginate yields the items of consecutive pages. StartRow is 0-based. It stops
// when a page is short or empty (shorter than the PageSize asked for, or than the
// one the server answers with when that is smaller), when NextRow is 0, absent or
// not beyond the current row, when NextRow reaches TotalCount, and when a page
// repeats one served before (so a server that cycles through pages ends too).
// When the server announced a TotalCount, the number of items received must
// equal it when paging stops: a page that ends the read early (or a read that
// received more than announced) is an error wrapping ErrMalformedResponse.
func paginate[T any](ctx context.Context, c *Client, what string, pageSize int,
	fetch func(ctx context.Context, startRow, pageSize int) (page[T], error)) iter.Seq2[T, error] {
	if pageSize <= 0 {
		pageSize = c.pageSize
	}
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[[sha256.Size]byte]bool{} // pages served so far, by content
		row := 0
		received := 0
		var total *int // the last TotalCount announced
		complete := func() bool {
			if total == nil || *total == received {
				return true
			}
			yield(zero, fmt.Errorf("tigerpaw: %s: received %d items, the server announced TotalCount %d: %w",
				what, received, *total, ErrMalformedResponse))
			return false
		}
		for {
			p, err := fetch(ctx, row, pageSize)
			if err != nil {
				yield(zero, err)
				return
			}
			if p.info.TotalCount != nil {
				total = p.info.TotalCount
			}
			sum := sha256.Sum256(p.raw)
			if len(p.items) > 0 && seen[sum] {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "tigerpaw paging stopped: the server repeats a page",
					slog.String("search", what), slog.Int("startRow", row))
				complete()
				return
			}
			seen[sum] = true
			for _, it := range p.items {
				received++
				if !yield(it, nil) {
					return
				}
			}
			// A server may serve smaller pages than asked for; it says so in
			// PageSize, and a page of that size is not short.
			full := pageSize
			if p.info.PageSize > 0 && p.info.PageSize < full {
				full = p.info.PageSize
			}
			if len(p.items) == 0 || len(p.items) < full || p.info.NextRow <= row {
				complete()
				return
			}
			if total != nil && p.info.NextRow >= *total {
				complete()
				return
			}
			row = p.info.NextRow
		}
	}
}

// Collect gathers the items of an iterator into a slice, stopping at the first
// error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
