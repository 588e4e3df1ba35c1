package ksc

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRenderLocFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		args   []string
		want   string
	}{
		{"no placeholders", nil, "no placeholders"},
		{"%1 and %2", []string{"a", "b"}, "a and b"},
		{"%2%1", []string{"a", "b"}, "ba"},
		{"missing %3", []string{"a"}, "missing %3"},
		{"100% sure", nil, "100% sure"},
		{"%0 stays", []string{"a"}, "%0 stays"},
		{"%10", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "ten"}, "ten"},
		{"%1%", []string{"x"}, "x%"},
	}
	for _, tt := range tests {
		if got := renderLocFormat(tt.format, tt.args); got != tt.want {
			t.Errorf("renderLocFormat(%q, %q) = %q, want %q", tt.format, tt.args, got, tt.want)
		}
	}
}

func TestDecodeResponsePxgError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *PxgError
	}{
		{"empty object", `{"PxgError":{}}`, &PxgError{Method: "M", HTTPStatus: 200}},
		{"message only", `{"PxgError":{"message":"bad"}}`, &PxgError{Method: "M", HTTPStatus: 200, Message: "bad"}},
		{"numbers as strings", `{"PxgError":{"code":"12","subcode":"x","line":{"type":"long","value":7}}}`,
			&PxgError{Method: "M", HTTPStatus: 200, Code: 12, Line: 7}},
		{"bare locdata, numeric args", `{"PxgError":{"code":1,"locdata":{"format":"%1 of %2","format-id":"9","args":[3,true,null,1.5]}}}`,
			&PxgError{Method: "M", HTTPStatus: 200, Code: 1, Format: "%1 of %2", FormatID: 9, Args: []string{"3", "true", "", "1.5"}}},
		{"wrapped locdata", `{"PxgError":{"locdata":{"type":"params","value":{"format":"x","locmodule":"m","args":[{"type":"long","value":5}]}}}}`,
			&PxgError{Method: "M", HTTPStatus: 200, Format: "x", LocModule: "m", Args: []string{"5"}}},
		{"string error", `{"PxgError":"plain text"}`, &PxgError{Method: "M", HTTPStatus: 200, Message: "plain text"}},
		{"array error", `{"PxgError":[1]}`, &PxgError{Method: "M", HTTPStatus: 200, Message: "unreadable PxgError: [1]"}},
		{"bad wrapped", `{"PxgError":{"code":{"type":"long","value":"x"}}}`,
			&PxgError{Method: "M", HTTPStatus: 200, Message: `unreadable PxgError: {"code":{"type":"long","value":"x"}}`}},
		{"huge code", `{"PxgError":{"code":99999999999,"line":1e300}}`, &PxgError{Method: "M", HTTPStatus: 200}},
		{"object args", `{"PxgError":{"locdata":{"format":"%1","args":[{"a":1}]}}}`,
			&PxgError{Method: "M", HTTPStatus: 200, Format: "%1", Args: []string{`{"type":"params","value":{"a":1}}`}}},
	}
	for _, tt := range tests {
		err := decodeResponse("M", 200, []byte(tt.body), nil)
		var pe *PxgError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error = %v, want *PxgError", tt.name, err)
			continue
		}
		if d := cmp.Diff(tt.want, pe); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
		if pe.Error() == "" || !strings.HasPrefix(pe.Error(), "ksc: M: ") {
			t.Errorf("%s: Error() = %q", tt.name, pe.Error())
		}
	}
}

func TestDecodeResponseOtherCases(t *testing.T) {
	t.Parallel()
	var out struct {
		V int `json:"PxgRetVal"`
	}
	// The word inside data is not an error.
	if err := decodeResponse("M", 200, []byte(`{"PxgRetVal":1,"x":"PxgError"}`), &out); err != nil || out.V != 1 {
		t.Errorf("data mentioning PxgError: %v, %d", err, out.V)
	}
	if err := decodeResponse("M", 200, []byte(`{"PxgError":null,"PxgRetVal":2}`), &out); err != nil || out.V != 2 {
		t.Errorf("null PxgError: %v, %d", err, out.V)
	}
	if err := decodeResponse("M", 200, nil, &out); err != nil {
		t.Errorf("empty body: %v", err)
	}
	err := decodeResponse("M", 200, []byte(`{"PxgRetVal":"x"}`), &out)
	if err == nil || !strings.Contains(err.Error(), "M: decode response") {
		t.Errorf("bad body: %v", err)
	}
	err = decodeResponse("M", 502, []byte(strings.Repeat("é", 600)), nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 502 || len(he.Body) > maxErrorBody+4 || !strings.Contains(err.Error(), "Bad Gateway") {
		t.Errorf("502: %v", err)
	}
	if got := (&HTTPError{Method: "M", StatusCode: 429, RetryAfter: 2 * time.Minute}).Error(); got != "ksc: M: HTTP 429 Too Many Requests (retry after 2m0s)" {
		t.Errorf("429 with Retry-After: %q", got)
	}
	if !errors.Is(&HTTPError{StatusCode: http.StatusUnauthorized}, ErrUnauthorized) || errors.Is(he, ErrUnauthorized) {
		t.Error("HTTPError.Is wrong")
	}
	// Unreadable JSON with the key falls through to the status check.
	err = decodeResponse("M", 500, []byte(`{"PxgError":`), nil)
	if !errors.As(err, &he) || he.StatusCode != 500 {
		t.Errorf("truncated PxgError: %v", err)
	}
	pe := &PxgError{}
	if got := pe.Error(); got != "ksc: server error (code 0)" {
		t.Errorf("empty PxgError.Error() = %q", got)
	}
}
