package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mspkit/kaspersky-tigerpaw/internal/testenv"
	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// cutProxy forwards TCP connections to a PostgreSQL server until cut: then
// it closes them and refuses new ones, as a database outage would, until
// restored.
type cutProxy struct {
	ln            net.Listener
	network, addr string
	mu            sync.Mutex
	down          bool
	conns         []net.Conn
	wg            sync.WaitGroup
}

// newCutProxy starts a proxy to the server of dsn and returns it and a DSN
// that goes through it.
func newCutProxy(t *testing.T, dsn string) (*cutProxy, string) {
	t.Helper()
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal("KT_POSTGRES_DSN does not parse")
	}
	p := &cutProxy{network: "tcp", addr: net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port)))}
	if strings.HasPrefix(pc.Host, "/") {
		p.network, p.addr = "unix", pc.Host+"/.s.PGSQL."+strconv.Itoa(int(pc.Port))
	}
	p.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { p.ln.Close(); p.cut(); p.wg.Wait() })
	u := url.URL{Scheme: "postgres", Host: p.ln.Addr().String(), Path: "/" + pc.Database, RawQuery: "sslmode=disable"}
	if pc.Password != "" {
		u.User = url.UserPassword(pc.User, pc.Password)
	} else {
		u.User = url.User(pc.User)
	}
	return p, u.String()
}

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		s, err := net.Dial(p.network, p.addr)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(s, c); s.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, s); c.Close() }()
	}
}

// cut closes every connection and refuses new ones until restore.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// TestDatabaseOutagePausesCycles: while the database is unreachable the
// leader's lease renewal fails, the cycle in flight is stopped, lead and
// writes fail (nothing is written) and, once the database is back, the next
// lead succeeds and the state holds every write made before the outage and
// the one made after.
func TestDatabaseOutagePausesCycles(t *testing.T) {
	dsn := os.Getenv("KT_POSTGRES_DSN")
	if dsn == "" {
		testenv.Missing(t, "PostgreSQL (KT_POSTGRES_DSN)", "source .ci/services/postgres.sh or set KT_POSTGRES_DSN")
	}
	proxy, viaProxy := newCutProxy(t, dsn)
	t.Setenv("KT_OUTAGE_TEST_DSN", viaProxy)
	schema := "kt_outage_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx := t.Context()
	st, err := openStores(ctx, storeCfg(StoreConfig{Kind: "postgres", DSN: "env:KT_OUTAGE_TEST_DSN", Schema: schema, LeaseTTL: Duration(time.Second)},
		"", ""), 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if err := st.lead(ctx); err != nil {
		t.Fatalf("lead: %v", err)
	}
	before := serviceorder.Change{TenantReads: map[string]time.Time{"vs-1": time.Unix(100, 0).UTC()}}
	if err := st.state.Apply(ctx, before); err != nil {
		t.Fatalf("write before the outage: %v", err)
	}
	cycle, cancel := st.hold(ctx)
	defer cancel()

	proxy.cut()
	select {
	case <-cycle.Done():
	case <-time.After(time.Minute):
		t.Fatal("the cycle in flight was not stopped when the lease could not be renewed")
	}
	if err := st.state.Apply(ctx, serviceorder.Change{TenantReads: map[string]time.Time{"vs-2": time.Unix(200, 0).UTC()}}); err == nil {
		t.Fatal("a write succeeded during the outage")
	}
	octx, ocancel := context.WithTimeout(ctx, 2*time.Second)
	err = st.lead(octx)
	ocancel()
	if err == nil {
		t.Fatal("lead succeeded during the outage")
	}

	proxy.restore()
	waitFor(t, "lead after the outage", func() bool { return st.lead(ctx) == nil })
	after := serviceorder.Change{TenantReads: map[string]time.Time{"vs-3": time.Unix(300, 0).UTC()}}
	if err := st.state.Apply(ctx, after); err != nil {
		t.Fatalf("write after the outage: %v", err)
	}
	got, err := st.state.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.TenantReads) != 2 || !got.TenantReads["vs-1"].Equal(time.Unix(100, 0)) || !got.TenantReads["vs-3"].Equal(time.Unix(300, 0)) {
		t.Errorf("tenant reads after the outage = %v, want vs-1 and vs-3 only", got.TenantReads)
	}
	if !errors.Is(context.Cause(cycle), ErrNotLeader) {
		t.Errorf("the stopped cycle's cause = %v, want ErrNotLeader", context.Cause(cycle))
	}
}
