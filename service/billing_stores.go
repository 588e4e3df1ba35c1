package service

import (
	"context"
	"path/filepath"
	"time"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
	"github.com/mspkit/kaspersky-tigerpaw/history"
)

// File names of the billing guard's decisions and of the usage history with
// the file store, next to the state file unless the config says otherwise.
const (
	decisionsFileName = "billing-decisions.json"
	historyDirName    = "history"
)

// openBillingFiles opens the decisions file and the history directory of the
// file store; the state file's lock covers them.
func (st *stores) openBillingFiles(cfg *Config) error {
	dir := filepath.Dir(cfg.StateFile)
	st.decisions = billing.NewFileDecisions(filepath.Join(dir, decisionsFileName))
	hdir := cfg.HistoryDir
	if hdir == "" {
		hdir = filepath.Join(dir, historyDirName)
	}
	h, err := history.OpenFileStore(hdir)
	if err != nil {
		return err
	}
	st.history = h
	return nil
}

// billingStoreName names the daemon's decisions and history in the database.
const billingStoreName = "daemon"

// leaderDecisions is the decision store whose writes carry the fence: those
// of the console take the lease when no replica holds it (see editFence).
type leaderDecisions struct{ l *leader }

func (d *leaderDecisions) Decisions(ctx context.Context) (map[string]billing.Decision, error) {
	return d.l.db.Decisions(billingStoreName, nil).Decisions(ctx)
}

func (d *leaderDecisions) Decide(ctx context.Context, dec billing.Decision) error {
	f, err := d.l.editFence(ctx)
	if err != nil {
		return err
	}
	return d.l.db.Decisions(billingStoreName, f).Decide(ctx, dec)
}

func (d *leaderDecisions) Forget(ctx context.Context, keys []string) error {
	f := d.l.current()
	if f == nil {
		return ErrNotLeader
	}
	return d.l.db.Decisions(billingStoreName, f).Forget(ctx, keys)
}

// leaderHistory is the usage history whose writes carry the current fence.
type leaderHistory struct{ l *leader }

func (h *leaderHistory) Record(ctx context.Context, snaps []history.Snapshot) error {
	f := h.l.current()
	if f == nil {
		return ErrNotLeader
	}
	return h.l.db.History(billingStoreName, f).Record(ctx, snaps)
}

func (h *leaderHistory) Query(ctx context.Context, tenant string, from, to time.Time) ([]history.Snapshot, error) {
	return h.l.db.History(billingStoreName, nil).Query(ctx, tenant, from, to)
}

func (h *leaderHistory) Prune(ctx context.Context, before time.Time) (int, error) {
	f := h.l.current()
	if f == nil {
		return 0, ErrNotLeader
	}
	return h.l.db.History(billingStoreName, f).Prune(ctx, before)
}
