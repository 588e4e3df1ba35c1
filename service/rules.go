package service

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/mspkit/kaspersky-tigerpaw/serviceorder"
)

// rulesStoreName names the integration's rules in the database.
const rulesStoreName = "daemon"

// openFileRules opens the rules store of the file store: the file at path,
// which need not exist (an empty store until the first save in the console).
func openFileRules(path string) (serviceorder.RulesStore, error) {
	r, err := serviceorder.NewFileRules(path)
	if err != nil {
		return nil, asConfigError(fmt.Errorf("config: rulesFile: %w", err))
	}
	return r, nil
}

// openDatabaseRules opens the rules store of the PostgreSQL store, whose
// saves carry the lease's fence. When rulesFile is given and the database
// holds no rules yet, the file's rules are stored once (by whichever replica
// starts first: the seed is a first save, which only an empty store takes).
func openDatabaseRules(ctx context.Context, l *leader, rulesFile string, log *slog.Logger) (serviceorder.RulesStore, error) {
	if rulesFile != "" {
		r, err := loadRules(rulesFile)
		if err != nil {
			return nil, err
		}
		seeded, err := serviceorder.SeedRules(ctx, l.db.Rules(rulesStoreName, nil), r)
		if err != nil {
			return nil, fmt.Errorf("seeding the database's rules from %s: %w", rulesFile, err)
		}
		if seeded {
			log.Info("service order rules seeded into the database from the rules file", "rulesFile", rulesFile)
		} else {
			log.Info("the database holds service order rules: the rules file is not read again; edit them in the console", "rulesFile", rulesFile)
		}
	}
	return &leaderRules{l: l}, nil
}

// leaderRules is the rules store whose saves carry the current fence: a
// standby's save fails with ErrNotLeader.
type leaderRules struct{ l *leader }

func (r *leaderRules) LoadRules(ctx context.Context) (serviceorder.Rules, int64, error) {
	return r.l.db.Rules(rulesStoreName, nil).LoadRules(ctx)
}

func (r *leaderRules) SaveRules(ctx context.Context, rules serviceorder.Rules, revision int64) (int64, error) {
	f, err := r.l.editFence(ctx)
	if err != nil {
		return 0, fmt.Errorf("saving the service order rules: %w", err)
	}
	return r.l.db.Rules(rulesStoreName, f).SaveRules(ctx, rules, revision)
}
