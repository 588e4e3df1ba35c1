package tigerpaw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// DateTime is a Tigerpaw date-time. Json.NET writes SQL date-times without a zone
// ("2024-01-31T13:45:00"); the client reads those in the server's time zone
// (WithTimeZone, UTC by default). DateTime also reads values with a zone, dates
// without a time, and the wrapped forms of the service order models
// ({"DateTime": ...} and {"Date": ..., "Time": ...}). The zero value is "no date"
// and is written as null; the placeholders that .NET and SQL Server write for
// "no date" (0001-01-01, and 1753-01-01 or 1900-01-01 at midnight) read as the
// zero value too, so that an order that is not closed never looks closed.
type DateTime struct {
	time.Time
}

// zoneless marks a time parsed without a zone until the client places it in the
// server's time zone. It is never modified.
var zoneless = time.FixedZone("tigerpaw-zoneless", 0)

var zonelessLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDateTime reads one date-time text.
func parseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return noPlaceholder(t), nil
	}
	for _, layout := range zonelessLayouts {
		if t, err := time.ParseInLocation(layout, s, zoneless); err == nil {
			return noPlaceholder(t), nil
		}
	}
	return time.Time{}, fmt.Errorf("date-time %q: unknown format", truncate(s, 40))
}

// noPlaceholder returns the zero time for the "no date" placeholders of .NET
// (DateTime.MinValue, year 1) and SQL Server (1753-01-01 and 1900-01-01 at
// midnight), and t otherwise.
func noPlaceholder(t time.Time) time.Time {
	if t.Year() <= 1 {
		return time.Time{}
	}
	y, m, d := t.Date()
	if m == time.January && d == 1 && (y == 1753 || y == 1900) && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return time.Time{}
	}
	return t
}

// UnmarshalJSON reads null, a string, or a wrapped date object.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		t, err := parseDateTime(s)
		if err != nil {
			return err
		}
		d.Time = t
		return nil
	case '{':
		var w struct {
			DateTime *string
			Date     *string
			Time     *string
		}
		if err := json.Unmarshal(b, &w); err != nil {
			return fmt.Errorf("date-time object: %w", err)
		}
		if w.DateTime != nil {
			t, err := parseDateTime(*w.DateTime)
			if err != nil {
				return err
			}
			d.Time = t
			return nil
		}
		if w.Date == nil {
			d.Time = time.Time{}
			return nil
		}
		day, err := parseDateTime(*w.Date)
		if err != nil || day.IsZero() {
			d.Time = day
			return err
		}
		if w.Time != nil && strings.TrimSpace(*w.Time) != "" {
			clock, err := parseClock(*w.Time)
			if err != nil {
				return err
			}
			day = time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), clock.Second(), clock.Nanosecond(), day.Location())
		}
		d.Time = day
		return nil
	}
	return fmt.Errorf("date-time: cannot read %s", truncate(string(b), 20))
}

// parseClock reads the time of day of a "Time" field: "13:45:00" or a full
// date-time whose clock is used.
func parseClock(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"15:04:05.999999999", "15:04", "3:04 PM", "3:04:05 PM"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return parseDateTime(s)
}

// MarshalJSON writes the date-time without a zone, in its own location (the
// client converts it to the server's zone first); the zero value is null.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.Format("2006-01-02T15:04:05") + `"`), nil
}

// In returns d in loc (the zero value stays zero).
func (d DateTime) In(loc *time.Location) DateTime {
	if d.IsZero() {
		return d
	}
	return DateTime{d.Time.In(loc)}
}

// WrappedDateTime is the {"DateTime": ...} form of the service order create and
// update models.
type WrappedDateTime struct {
	DateTime DateTime `json:"DateTime"`
}

var dateTimeType = reflect.TypeFor[DateTime]()

// placeZoneless puts every zone-less DateTime reachable from v into loc, keeping
// its wall clock.
func placeZoneless(v reflect.Value, loc *time.Location, depth int) {
	if depth > 32 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			placeZoneless(v.Elem(), loc, depth+1)
		}
	case reflect.Struct:
		if v.Type() == dateTimeType {
			if !v.CanSet() {
				return
			}
			d := v.Interface().(DateTime)
			if d.Location() == zoneless {
				t := d.Time
				v.Set(reflect.ValueOf(DateTime{time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)}))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				placeZoneless(v.Field(i), loc, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			placeZoneless(v.Index(i), loc, depth+1)
		}
	}
}

// decodeBody decodes a Tigerpaw JSON body into v: numbers normalised, number
// and string forms of a field tolerated (decodeTolerant), zone-less date-times
// placed in loc.
func decodeBody(body []byte, v any, loc *time.Location) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("empty body")
	}
	if err := checkLimits(body); err != nil {
		return err
	}
	return decodeValue(body, v, loc)
}

// decodeValue is decodeBody without the size checks, for the elements of a
// list whose whole text was checked already.
func decodeValue(body []byte, v any, loc *time.Location) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("empty value")
	}
	if err := decodeTolerant(normalizeNumbers(body), v); err != nil {
		return err
	}
	placeZoneless(reflect.ValueOf(v), loc, 0)
	return nil
}
