package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"maps"
	"net/url"
	"strconv"
	"strings"
)

// Limits of a list read; the package doc repeats them.
const (
	// maxListItems caps the total a list may announce, and so the items a
	// list read holds in memory.
	maxListItems = 1 << 20
	// maxNestedPerPage caps the elements of the lists nested in the items of
	// one page (the status descriptions of devices, the users of licenses),
	// all items of the page together.
	maxNestedPerPage = 1 << 20
	// maxListWalks is how often a list is walked from page 1 when its total
	// changes between pages: once, then once again.
	maxListWalks = 2
)

// listItem is an item of a paged list: it names its identity field and value.
type listItem interface {
	identity() (field, value string)
}

func (c Company) identity() (string, string)        { return "id", c.ID }
func (d Device) identity() (string, string)         { return "id", d.ID }
func (l License) identity() (string, string)        { return "id", l.ID }
func (e Event) identity() (string, string)          { return "id", e.ID }
func (e Office365Event) identity() (string, string) { return "id", e.ID }

// requiredItem is a list item with fields besides its identity that decide
// billing or service orders: missing returns the first of them that is
// absent, null or blank, "" when none is.
type requiredItem interface {
	missing() string
}

// missing: a device without a status would read as OK, and the service
// order engine would close its orders.
func (d Device) missing() string {
	if strings.TrimSpace(d.Status) == "" {
		return "status"
	}
	return ""
}

// missing: a license without a product or type would read as an unknown
// application or key type, neither of which bills.
func (l License) missing() string {
	switch {
	case strings.TrimSpace(l.Product) == "":
		return "product"
	case strings.TrimSpace(l.Type) == "":
		return "type"
	}
	return ""
}

// itemDecoder decodes one item of a page from its JSON object. nested is the
// page's remaining budget of nested list elements (maxNestedPerPage).
type itemDecoder[T any] func(raw []byte, nested *int) (T, error)

// decodePlain decodes an item without nested lists.
func decodePlain[T any](raw []byte, _ *int) (T, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// decodeDevice decodes a device, its status descriptions within the budget.
func decodeDevice(raw []byte, nested *int) (Device, error) {
	var w struct {
		Device
		StatusDescriptions nestedList[StatusDescription] `json:"statusDescriptions"`
	}
	w.StatusDescriptions = nestedList[StatusDescription]{budget: nested, field: "statusDescriptions"}
	if err := json.Unmarshal(raw, &w); err != nil {
		return Device{}, err
	}
	d := w.Device
	d.StatusDescriptions = w.StatusDescriptions.out
	return d, nil
}

// decodeLicense decodes a license, its users within the budget, and tells
// absent or null mailboxes from 0.
func decodeLicense(raw []byte, nested *int) (License, error) {
	var w struct {
		License
		Users     nestedList[string] `json:"users"`
		Mailboxes *int               `json:"mailboxes"`
	}
	w.Users = nestedList[string]{budget: nested, field: "users"}
	if err := json.Unmarshal(raw, &w); err != nil {
		return License{}, err
	}
	l := w.License
	l.Users = w.Users.out
	if w.Mailboxes != nil {
		l.Mailboxes, l.HasMailboxes = *w.Mailboxes, true
	}
	return l, nil
}

// nestedList decodes a JSON list nested in an item once its elements are
// counted and taken from the page's budget, straight from the item's bytes. A
// null list is an empty one: these lists are not identities.
type nestedList[T any] struct {
	budget *int
	field  string
	out    []T
}

func (n *nestedList[T]) UnmarshalJSON(raw []byte) error {
	n.out = nil
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil
	}
	if len(raw) == 0 || raw[0] != '[' {
		return fmt.Errorf("%s is %s, not a list", n.field, rawKind(raw))
	}
	count := countElements(raw)
	if count > *n.budget {
		return fmt.Errorf("%s: the page's items hold more than %d nested elements", n.field, maxNestedPerPage)
	}
	*n.budget -= count
	out := make([]T, 0, count)
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("%s: %w", n.field, err)
	}
	n.out = out
	return nil
}

// countElements counts the elements of a valid JSON list without decoding
// them: the commas at its top level, plus one unless it is empty.
func countElements(list []byte) int {
	depth, commas, inString, escaped, empty := 0, 0, false, false, true
	for _, b := range list {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			depth++
		case b == ']' || b == '}':
			depth--
		case b == ',' && depth == 1:
			commas++
		}
		if depth >= 1 && b != ' ' && b != '\t' && b != '\n' && b != '\r' && !(depth == 1 && b == '[') {
			empty = false
		}
	}
	if empty {
		return 0
	}
	return commas + 1
}

// itemHolder decodes one item of a page straight from the page decoder's
// buffer, without a copy of its bytes.
type itemHolder[T listItem] struct {
	decode itemDecoder[T]
	nested *int
	item   T
}

// notObject is the error of an item that is not a JSON object.
type notObject struct{ kind string }

func (e notObject) Error() string { return "is " + e.kind + ", not an object" }

func (h *itemHolder[T]) UnmarshalJSON(raw []byte) error {
	if k := rawKind(raw); k != "an object" {
		return notObject{k}
	}
	it, err := h.decode(raw, h.nested)
	if err != nil {
		return err
	}
	h.item = it
	return nil
}

// pageAnswer is one decoded page: {"items":[…],"nextPage":N|null,"total":T}.
type pageAnswer[T listItem] struct {
	// limit is the most items the page may hold: the page size asked for.
	limit  int
	decode itemDecoder[T]

	items []T
	next  *int
	total int
}

// decodeBody implements bodyDecoder: the page is decoded strictly, one item at
// a time, so that memory stays bounded by the page size and the nested budget
// rather than by what the body claims. Every failure wraps ErrIncomplete.
func (p *pageAnswer[T]) decodeBody(body []byte) error {
	if err := p.decodeStrict(body); err != nil {
		return fmt.Errorf("%w: %w", ErrIncomplete, err)
	}
	return nil
}

func (p *pageAnswer[T]) decodeStrict(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("answer is %s, not an object", tokenKind(tok))
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "items", "nextPage", "total":
			if seen[key] {
				return fmt.Errorf("field %q is given twice", key)
			}
			seen[key] = true
		}
		switch key {
		case "items":
			if err := p.decodeItems(dec); err != nil {
				return err
			}
		case "nextPage":
			var n *int
			if err := dec.Decode(&n); err != nil {
				return fmt.Errorf("field %q: %w", "nextPage", err)
			}
			p.next = n
		case "total":
			var n *int
			if err := dec.Decode(&n); err != nil {
				return fmt.Errorf("field %q: %w", "total", err)
			}
			switch {
			case n == nil:
				return fmt.Errorf("field %q is null", "total")
			case *n < 0:
				return fmt.Errorf("field %q is %d", "total", *n)
			}
			p.total = *n
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("field %q: %w", key, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("answer goes on after its object")
	}
	switch {
	case !seen["items"]:
		return fmt.Errorf("field %q is missing", "items")
	case !seen["total"]:
		return fmt.Errorf("field %q is missing", "total")
	}
	return nil
}

// decodeItems reads the items list, one element at a time.
func (p *pageAnswer[T]) decodeItems(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("field %q: %w", "items", err)
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("field %q is %s, not a list", "items", tokenKind(tok))
	}
	nested := maxNestedPerPage
	for i := 0; dec.More(); i++ {
		if i >= p.limit {
			return fmt.Errorf("field %q holds more than the %d items asked for", "items", p.limit)
		}
		h := itemHolder[T]{decode: p.decode, nested: &nested}
		if err := dec.Decode(&h); err != nil {
			var no notObject
			if errors.As(err, &no) {
				return fmt.Errorf("items[%d] %w", i, err)
			}
			return fmt.Errorf("items[%d]: %w", i, err)
		}
		it := h.item
		if field, id := it.identity(); strings.TrimSpace(id) == "" {
			return fmt.Errorf("items[%d] has no %q", i, field)
		}
		if r, ok := any(it).(requiredItem); ok {
			if field := r.missing(); field != "" {
				return fmt.Errorf("items[%d] has no %q", i, field)
			}
		}
		p.items = append(p.items, it)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("field %q: %w", "items", err)
	}
	return nil
}

// tokenKind names the kind of a JSON token for an error.
func tokenKind(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		if v == '[' {
			return "a list"
		}
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// rawKind names the kind of a JSON value for an error.
func rawKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 'n':
		return "null"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// totalChanged is the error of a list whose total differs between two pages.
type totalChanged struct{ error }

func (e totalChanged) Unwrap() error { return e.error }

// list reads a paged list whole and checks it before it yields anything: a
// read that is not provably complete yields only an error (see readList).
func list[T listItem](ctx context.Context, c *Client, path string, query url.Values, decode itemDecoder[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		items, err := readList(ctx, c, path, query, decode)
		if err != nil {
			var zero T
			yield(zero, err)
			return
		}
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

// readList walks a paged list from page 1. A list whose total changes between
// two pages (a device enrolled while the list was read) is walked again from
// page 1, once; a second change is an error.
func readList[T listItem](ctx context.Context, c *Client, path string, query url.Values, decode itemDecoder[T]) ([]T, error) {
	for walk := 1; ; walk++ {
		items, err := walkList(ctx, c, path, query, decode)
		var tc totalChanged
		if errors.As(err, &tc) && walk < maxListWalks {
			c.log.WarnContext(ctx, "hub list changed while it was read; reading it again", slog.String("path", path), slog.String("error", err.Error()))
			continue
		}
		return items, err
	}
}

// walkList reads every page of a list once. It follows nextPage until it is
// null, and checks the list against the total the first page announced: every
// page announces the same total, no page holds more than asked, the items
// never exceed the total and add up to it at the end, no page before the end
// is empty, each next page is further than the last, and no identity repeats.
// Every failure wraps ErrIncomplete.
func walkList[T listItem](ctx context.Context, c *Client, path string, query url.Values, decode itemDecoder[T]) ([]T, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("hub: GET %s: %w: %s", path, ErrIncomplete, fmt.Sprintf(format, args...))
	}
	var (
		out   []T
		total = -1
		ids   = map[string]int{}
	)
	for n := 1; ; {
		q := maps.Clone(query)
		if q == nil {
			q = url.Values{}
		}
		q.Set("page", strconv.Itoa(n))
		q.Set("pageSize", strconv.Itoa(c.pageSize))
		p := &pageAnswer[T]{limit: c.pageSize, decode: decode}
		if err := c.get(ctx, path, q, p); err != nil {
			if errors.Is(err, ErrIncomplete) {
				return nil, fmt.Errorf("%w (page %d)", err, n)
			}
			return nil, err
		}
		switch {
		case p.total > maxListItems:
			return nil, fail("page %d announces %d items, more than the %d the client reads", n, p.total, maxListItems)
		case total < 0:
			total = p.total
		case p.total != total:
			return nil, totalChanged{fail("page %d announces %d items, page 1 announced %d: the list changed while it was read", n, p.total, total)}
		}
		if len(out)+len(p.items) > total {
			return nil, fail("page %d brings the list to %d items, more than the %d announced", n, len(out)+len(p.items), total)
		}
		for _, it := range p.items {
			field, id := it.identity()
			if first, dup := ids[id]; dup {
				return nil, fail("%s %q is listed on page %d and again on page %d: another item was missed", field, id, first, n)
			}
			ids[id] = n
		}
		out = append(out, p.items...)
		if p.next == nil {
			if len(out) != total {
				return nil, fail("the list ends on page %d after %d of the %d items announced", n, len(out), total)
			}
			return out, nil
		}
		next := *p.next
		switch {
		case next <= n:
			return nil, fail("page %d names page %d as the next one", n, next)
		case len(p.items) == 0:
			return nil, fail("page %d is empty but names a next page (%d of %d items read)", n, len(out), total)
		}
		n = next
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
