package ksctest

import (
	"net/http"
	"strings"
	"testing"
)

func TestTotalRequests(t *testing.T) {
	t.Parallel()
	s := NewServer()
	defer s.Close()
	for _, m := range []string{"Session.StartSession", "HostGroup.FindHosts", "HostGroup.FindHosts"} {
		req, err := http.NewRequest(http.MethodPost, s.URL+apiPrefix+m, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := s.TotalRequests(); n != 3 || s.Requests("HostGroup.FindHosts") != 2 {
		t.Errorf("TotalRequests = %d, FindHosts = %d; want 3, 2", n, s.Requests("HostGroup.FindHosts"))
	}
	s.ResetRequests()
	if n := s.TotalRequests(); n != 0 {
		t.Errorf("after ResetRequests: %d", n)
	}
}
