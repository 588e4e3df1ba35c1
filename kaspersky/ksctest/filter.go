package ksctest

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
)

// The fake parses FindHosts filters itself, so that a client that forgets to
// escape a value gets the same refusal (or wrong result) a server would give.
//
//	filter     = "(" ( "&" filter+ | "|" filter+ | "!" filter | comparison ) ")"
//	comparison = attr ( op literal | "&" integer "<>" "0" )
//	op         = "=" | "<>" | "<=" | ">=" | "<" | ">"
//	literal    = '"' (char | '""')* '"' | 'T"YYYY-MM-DD HH:MM:SS"' | integer

type node interface {
	match(rec map[string]any) bool
}

type andNode []node
type orNode []node
type notNode struct{ n node }
type cmpNode struct {
	attr string
	op   string
	lit  any // string, int64, time.Time
}
type bitNode struct {
	attr string
	mask int64
}

func (a andNode) match(rec map[string]any) bool {
	for _, n := range a {
		if !n.match(rec) {
			return false
		}
	}
	return true
}

func (o orNode) match(rec map[string]any) bool {
	for _, n := range o {
		if n.match(rec) {
			return true
		}
	}
	return false
}

func (n notNode) match(rec map[string]any) bool { return !n.n.match(rec) }

func (b bitNode) match(rec map[string]any) bool {
	v, ok := asInt(rec[b.attr])
	return ok && v&b.mask != 0
}

func (c cmpNode) match(rec map[string]any) bool {
	v, present := rec[c.attr]
	if !present {
		return c.op == "<>"
	}
	var d int
	switch lit := c.lit.(type) {
	case string:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if c.op == "=" || c.op == "<>" {
			eq := s == lit
			if strings.Contains(lit, "*") {
				// A glob where only * is special: escape the others.
				pat := strings.NewReplacer(`\`, `\\`, "?", `\?`, "[", `\[`).Replace(lit)
				eq, _ = path.Match(pat, s)
			}
			return eq == (c.op == "=")
		}
		d = strings.Compare(s, lit)
	case int64:
		n, ok := asInt(v)
		if !ok {
			return false
		}
		d = cmpInt(n, lit)
	case time.Time:
		t, ok := v.(time.Time)
		if !ok {
			return false
		}
		d = t.Compare(lit)
	}
	switch c.op {
	case "=":
		return d == 0
	case "<>":
		return d != 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	}
	return d >= 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

type filterParser struct {
	s   string
	pos int
}

func parseFilter(s string) (node, error) {
	p := &filterParser{s: s}
	n, err := p.filter()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at %d", p.s[p.pos:], p.pos)
	}
	return n, nil
}

func (p *filterParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *filterParser) expect(c byte) error {
	p.space()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return fmt.Errorf("expected %q at %d", c, p.pos)
	}
	p.pos++
	return nil
}

func (p *filterParser) peek() byte {
	p.space()
	if p.pos >= len(p.s) {
		return 0
	}
	return p.s[p.pos]
}

func (p *filterParser) filter() (node, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	var n node
	switch p.peek() {
	case '&', '|':
		op := p.s[p.pos]
		p.pos++
		var list []node
		for p.peek() == '(' {
			sub, err := p.filter()
			if err != nil {
				return nil, err
			}
			list = append(list, sub)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("empty %c at %d", op, p.pos)
		}
		if op == '&' {
			n = andNode(list)
		} else {
			n = orNode(list)
		}
	case '!':
		p.pos++
		sub, err := p.filter()
		if err != nil {
			return nil, err
		}
		n = notNode{sub}
	default:
		c, err := p.comparison()
		if err != nil {
			return nil, err
		}
		n = c
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *filterParser) comparison() (node, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	attr := p.s[start:p.pos]
	if attr == "" {
		return nil, fmt.Errorf("expected an attribute at %d", start)
	}
	p.space()
	if p.peek() == '&' {
		p.pos++
		mask, err := p.integer()
		if err != nil {
			return nil, err
		}
		p.space()
		if !strings.HasPrefix(p.s[p.pos:], "<>") {
			return nil, fmt.Errorf("expected <> 0 after bit mask at %d", p.pos)
		}
		p.pos += 2
		zero, err := p.integer()
		if err != nil || zero != 0 {
			return nil, fmt.Errorf("expected <> 0 after bit mask at %d", p.pos)
		}
		return bitNode{attr: attr, mask: mask}, nil
	}
	var op string
	for _, o := range []string{"<>", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(p.s[p.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, fmt.Errorf("expected an operator at %d", p.pos)
	}
	p.pos += len(op)
	lit, err := p.literal()
	if err != nil {
		return nil, err
	}
	return cmpNode{attr: attr, op: op, lit: lit}, nil
}

func (p *filterParser) integer() (int64, error) {
	p.space()
	start := p.pos
	if p.pos < len(p.s) && p.s[p.pos] == '-' {
		p.pos++
	}
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	n, err := strconv.ParseInt(p.s[start:p.pos], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected an integer at %d", start)
	}
	return n, nil
}

func (p *filterParser) literal() (any, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("expected a value at %d", p.pos)
	}
	switch c := p.s[p.pos]; {
	case c == '"':
		return p.quoted()
	case c == 'T' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '"':
		p.pos++
		at := p.pos
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		t, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			return nil, fmt.Errorf("bad time %q at %d", s, at)
		}
		return t, nil
	}
	return p.integer()
}

func (p *filterParser) quoted() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '"' {
			if p.pos+1 < len(p.s) && p.s[p.pos+1] == '"' {
				b.WriteByte('"')
				p.pos += 2
				continue
			}
			p.pos++
			return b.String(), nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return "", fmt.Errorf("unterminated string starting at %d", start)
}
