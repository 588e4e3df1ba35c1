package tigerpaw

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDateTimeDecode(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	tests := []struct {
		name    string
		json    string
		loc     *time.Location
		want    time.Time
		wantErr bool
	}{
		{name: "zone-less in UTC", json: `"2024-01-31T13:45:00"`, loc: time.UTC, want: time.Date(2024, 1, 31, 13, 45, 0, 0, time.UTC)},
		{name: "zone-less in server zone", json: `"2024-01-31T13:45:00"`, loc: ny, want: time.Date(2024, 1, 31, 13, 45, 0, 0, ny)},
		{name: "fraction of Json.NET", json: `"2024-01-31T13:45:00.1234567"`, loc: time.UTC, want: time.Date(2024, 1, 31, 13, 45, 0, 123456700, time.UTC)},
		{name: "with zone kept", json: `"2024-01-31T13:45:00+02:00"`, loc: ny, want: time.Date(2024, 1, 31, 11, 45, 0, 0, time.UTC)},
		{name: "date only", json: `"2024-01-31"`, loc: time.UTC, want: time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)},
		{name: "space separated", json: `"2024-01-31 08:00:00"`, loc: time.UTC, want: time.Date(2024, 1, 31, 8, 0, 0, 0, time.UTC)},
		{name: "wrapped DateTime", json: `{"DateTime":"2024-02-01T09:30:00"}`, loc: time.UTC, want: time.Date(2024, 2, 1, 9, 30, 0, 0, time.UTC)},
		{name: "Date and Time", json: `{"Date":"2024-02-01T00:00:00","Time":"14:15:16"}`, loc: time.UTC, want: time.Date(2024, 2, 1, 14, 15, 16, 0, time.UTC)},
		{name: "Date and full Time", json: `{"Date":"2024-02-01","Time":"1900-01-01T07:08:09"}`, loc: time.UTC, want: time.Date(2024, 2, 1, 7, 8, 9, 0, time.UTC)},
		{name: "Date and 12h Time", json: `{"Date":"2024-02-01","Time":"3:04 PM"}`, loc: time.UTC, want: time.Date(2024, 2, 1, 15, 4, 0, 0, time.UTC)},
		{name: "Date only object", json: `{"Date":"2024-02-01","Time":null}`, loc: time.UTC, want: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		{name: "empty object", json: `{}`, loc: time.UTC},
		{name: "null", json: `null`, loc: time.UTC},
		{name: "empty string", json: `""`, loc: time.UTC},
		{name: ".NET MinValue placeholder", json: `"0001-01-01T00:00:00"`, loc: ny},
		{name: ".NET MinValue with zone", json: `"0001-01-01T00:00:00Z"`, loc: ny},
		{name: "wrapped MinValue", json: `{"DateTime":"0001-01-01T00:00:00"}`, loc: ny},
		{name: "SQL Server 1900 placeholder", json: `"1900-01-01T00:00:00"`, loc: ny},
		{name: "SQL Server 1753 placeholder", json: `"1753-01-01T00:00:00"`, loc: time.UTC},
		{name: "a real time on 1900-01-01", json: `"1900-01-01T07:00:00"`, loc: time.UTC, want: time.Date(1900, 1, 1, 7, 0, 0, 0, time.UTC)},
		{name: "garbage", json: `"31/01/2024"`, wantErr: true},
		{name: "number", json: `12`, wantErr: true},
		{name: "bad wrapped", json: `{"DateTime":"x"}`, wantErr: true},
		{name: "bad Time", json: `{"Date":"2024-02-01","Time":"noon"}`, wantErr: true},
		{name: "bad Date", json: `{"Date":"later"}`, wantErr: true},
		{name: "bad object", json: `{"DateTime":5}`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var v struct{ When DateTime }
			err := decodeBody([]byte(`{"When":`+tc.json+`}`), &v, tc.loc)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !v.When.Equal(tc.want) || v.When.IsZero() != tc.want.IsZero() {
				t.Errorf("got %v, want %v", v.When.Time, tc.want)
			}
			if !tc.want.IsZero() && v.When.Location() == zoneless {
				t.Error("zone-less marker left in the decoded value")
			}
		})
	}
}

func TestDateTimeNestedPlacement(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 3*3600)
	var v []ServiceOrderSummary
	body := `[{"ServiceOrder":{"DateTimeOpened":"2024-03-01T10:00:00","DateTimeClosed":{"DateTime":"2024-03-02T11:00:00"}}}]`
	if err := decodeBody([]byte(body), &v, loc); err != nil {
		t.Fatal(err)
	}
	if got := v[0].ServiceOrder.DateTimeOpened.Time; !got.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, loc)) {
		t.Errorf("opened = %v", got)
	}
	if got := v[0].ServiceOrder.DateTimeClosed.Time; !got.Equal(time.Date(2024, 3, 2, 11, 0, 0, 0, loc)) {
		t.Errorf("closed = %v", got)
	}
}

func TestDateTimeEncode(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", -4*3600)
	tests := []struct {
		in   DateTime
		want string
	}{
		{DateTime{}, `null`},
		{DateTime{time.Date(2024, 5, 6, 7, 8, 9, 500, time.UTC)}, `"2024-05-06T07:08:09"`},
		{DateTime{time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}.In(loc), `"2024-05-06T03:08:09"`},
		{DateTime{}.In(loc), `null`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.in)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tc.in.Time, b, err, tc.want)
		}
	}
	w, err := json.Marshal(WrappedDateTime{DateTime: DateTime{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}})
	if err != nil || string(w) != `{"DateTime":"2024-01-02T03:04:05"}` {
		t.Errorf("wrapped = %s, %v", w, err)
	}
}
