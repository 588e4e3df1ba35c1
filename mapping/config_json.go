package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/internal/strictjson"
)

// FormatVersion is the version of the JSON form that [Marshal] writes and
// [Unmarshal] reads.
//
// # The JSON form, version 1
//
// A configuration is one JSON object:
//
//	{
//	  "version": 1,                      // required; other versions are refused
//	  "name": "main",                    // the integration's name in its store
//	  "revision": 3,                     // set by stores; omit in a hand-written file
//	  "solution": "ksc",                 // "ksc" (Kaspersky Security Center) or "hub" (Business Hub)
//	  "externalProductId": 12,           // Tigerpaw External Product of the API user
//	  "tenants": [                       // virtual servers or companies in the integration
//	    {
//	      "id": "vs-1", "name": "Müller GmbH",
//	      "account": {                   // omitted when the tenant is not mapped
//	        "number": 1052932,           // Tigerpaw account number
//	        "billing": {"enabled": true, "agreement": 77, "priceLevel": 2}
//	      }
//	    }
//	  ],
//	  "priceBook": {
//	    "billByCategory": true,
//	    "apps": [                        // application ids of kaspersky.Catalog, or "x-…"
//	      {"app": "kesb-advanced", "workstations": "KESB-WS", "servers": "KESB-SRV", "nonWindows": "KESB-NW"},
//	      {"app": "kes-cloud-plus", "item": "KESC-PLUS"}
//	    ]
//	  }
//	}
//
// Members are matched case-insensitively, as encoding/json does; unknown members
// and a member given twice in one object are errors. Zero values may be
// omitted. A leading UTF-8 byte order mark is ignored.
const FormatVersion = 1

// maxDocument is the largest JSON form Decode reads.
const maxDocument = 16 << 20

// Errors of the JSON form, wrapped in a *[DecodeError].
var (
	// ErrUnsupportedVersion: the "version" member is missing or names a version
	// this package does not read.
	ErrUnsupportedVersion = errors.New("unsupported format version")
	// ErrUnknownField: an object has a member the format does not define.
	ErrUnknownField = errors.New("unknown field")
	// ErrMalformed: the document is not JSON, a value has the wrong type, or an
	// object gives a member twice.
	ErrMalformed = errors.New("malformed JSON")
)

// DecodeError is a JSON form that could not be read, with where.
type DecodeError struct {
	// Offset is the byte offset of the problem in the document.
	Offset int64
	// Line and Column locate Offset: both start at 1; columns count characters.
	Line, Column int
	// Field is the path of the member concerned (e.g. tenants[0].account.nmber),
	// when known.
	Field string
	// Err is the cause: ErrUnsupportedVersion, ErrUnknownField or ErrMalformed,
	// possibly wrapping an encoding/json error.
	Err error
}

// Error says where and what.
func (e *DecodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapping: configuration JSON, line %d, column %d", e.Line, e.Column)
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// document is the version 1 JSON form.
type document struct {
	Version int `json:"version"`
	Config
}

// Marshal returns the JSON form of cfg, indented, ending in a newline. The output
// is deterministic: equal configurations give equal bytes.
func Marshal(cfg Config) ([]byte, error) {
	b, err := json.MarshalIndent(document{Version: FormatVersion, Config: cfg}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mapping: encoding configuration %q: %w", cfg.Name, err)
	}
	return append(b, '\n'), nil
}

// Decode reads one configuration in its JSON form from r (at most 16 MiB), as
// [Unmarshal] does.
func Decode(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return Config{}, fmt.Errorf("mapping: reading configuration: %w", err)
	}
	if len(data) > maxDocument {
		return Config{}, fmt.Errorf("mapping: configuration is larger than %d bytes: %w", maxDocument, ErrMalformed)
	}
	return Unmarshal(data)
}

// Unmarshal parses the JSON form of a configuration. It refuses a missing or
// unknown "version", unknown members, members given twice in one object (in any
// letter case) and malformed JSON with a *[DecodeError] that gives the line,
// column and field. A leading UTF-8 byte order mark is skipped; offsets count
// from after it. It does not apply the configuration's rules: see
// [Config.Check] and [Validate].
func Unmarshal(data []byte) (Config, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	// Syntax errors anywhere in the document come first; then the version,
	// which decides how to read the rest.
	if err := strictjson.Check(data); err != nil {
		return Config{}, jsonError(data, err)
	}
	var probe struct {
		Version *json.RawMessage `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		var typ *json.UnmarshalTypeError
		if !errors.As(err, &typ) || typ.Field != "" {
			return Config{}, jsonError(data, err)
		}
		// Not an object: the strict reading below says so.
	} else if probe.Version == nil {
		return Config{}, decodeError(data, 0, "version", fmt.Errorf(`%w: the "version" member is missing (want %d)`, ErrUnsupportedVersion, FormatVersion))
	} else if v := string(*probe.Version); v != strconv.Itoa(FormatVersion) {
		off, _ := strictjson.MemberOffset(data, "version")
		return Config{}, decodeError(data, max(0, off), "version", fmt.Errorf("%w: version %s (this package reads version %d)", ErrUnsupportedVersion, v, FormatVersion))
	}
	var doc document
	if err := strictjson.Unmarshal(data, &doc); err != nil {
		return Config{}, jsonError(data, err)
	}
	// Empty lists and absent lists are the same configuration.
	c := doc.Config
	if len(c.Tenants) == 0 {
		c.Tenants = nil
	}
	if len(c.PriceBook.Apps) == 0 {
		c.PriceBook.Apps = nil
	}
	return c, nil
}

// jsonError turns an error of the strict reader into a *DecodeError that
// points at the offending character or member.
func jsonError(data []byte, err error) error {
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return decodeError(data, 0, "", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	var cause error
	switch se.Kind {
	case strictjson.ErrUnknownField:
		cause = fmt.Errorf("%w %q", ErrUnknownField, se.Key)
	case strictjson.ErrDuplicateKey:
		cause = fmt.Errorf("%w: member %q is given twice", ErrMalformed, se.Key)
	case strictjson.ErrType:
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			want := typ.Type.String()
			if se.Path == "" {
				want = "the configuration object"
			}
			cause = fmt.Errorf("%w: %s value where %s is expected", ErrMalformed, typ.Value, want)
			break
		}
		cause = fmt.Errorf("%w: %s", ErrMalformed, se.Reason)
	case strictjson.ErrSyntax:
		cause = fmt.Errorf("%w: %w", ErrMalformed, se.Err)
	default:
		cause = fmt.Errorf("%w: %s", ErrMalformed, se.Reason)
	}
	if se.Line == 0 { // an error without a position: the document's start
		return decodeError(data, 0, se.Path, cause)
	}
	return &DecodeError{Offset: se.Offset, Line: se.Line, Column: se.Column, Field: se.Path, Err: cause}
}

func decodeError(data []byte, off int64, field string, err error) *DecodeError {
	line, col := strictjson.Position(data, off)
	return &DecodeError{Offset: off, Line: line, Column: col, Field: field, Err: err}
}
