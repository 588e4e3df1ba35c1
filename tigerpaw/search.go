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

// pageInfo is the paging part of a search envelope.
type pageInfo struct {
	PageSize   int
	NextRow    int
	TotalCount int
}

// page is one page of a search: its items and the paging fields.
type page[T any] struct {
	items []T
	raw   json.RawMessage
	info  pageInfo
}

// decodePage reads a search envelope whose item list is under key.
func decodePage[T any](c *Client, method, path string, body []byte, key string) (page[T], error) {
	var p page[T]
	var fields map[string]json.RawMessage
	if err := c.decode(method, path, body, &fields); err != nil {
		return p, err
	}
	if err := c.decode(method, path, body, &p.info); err != nil {
		return p, err
	}
	for k, v := range fields {
		if strings.EqualFold(k, key) {
			p.raw = v
			break
		}
	}
	if len(p.raw) == 0 || string(bytes.TrimSpace(p.raw)) == "null" {
		return p, nil
	}
	if err := c.decode(method, path, p.raw, &p.items); err != nil {
		return p, err
	}
	return p, nil
}

// paginate yields the items of consecutive pages. StartRow is 0-based. It stops
// when a page is short or empty (shorter than the PageSize asked for, or than the
// one the server answers with when that is smaller), when NextRow is 0, absent or
// not beyond the current row, when NextRow reaches TotalCount, and when a page
// repeats one served before (so a server that cycles through pages ends too).
func paginate[T any](ctx context.Context, c *Client, what string, pageSize int,
	fetch func(ctx context.Context, startRow, pageSize int) (page[T], error)) iter.Seq2[T, error] {
	if pageSize <= 0 {
		pageSize = c.pageSize
	}
	return func(yield func(T, error) bool) {
		var zero T
		seen := map[[sha256.Size]byte]bool{} // pages served so far, by content
		row := 0
		for {
			p, err := fetch(ctx, row, pageSize)
			if err != nil {
				yield(zero, err)
				return
			}
			sum := sha256.Sum256(p.raw)
			if len(p.items) > 0 && seen[sum] {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "tigerpaw paging stopped: the server repeats a page",
					slog.String("search", what), slog.Int("startRow", row))
				return
			}
			seen[sum] = true
			for _, it := range p.items {
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
				return
			}
			if p.info.TotalCount > 0 && p.info.NextRow >= p.info.TotalCount {
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
