package mapping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The integration's own account custom fields in Tigerpaw. An Accounts Matrix
// view filtered on an empty field lists the accounts that are not mapped.
const (
	// FieldCategory is the category of the integration's account custom fields.
	FieldCategory = "Kaspersky"
	// FieldVirtualServer holds the name of the KSC virtual server mapped to the
	// account.
	FieldVirtualServer = "Kaspersky virtual server"
	// FieldCompany holds the name of the Business Hub company mapped to the
	// account.
	FieldCompany = "Kaspersky company"
)

// FieldLabel returns the label of the custom field that holds the tenant name of
// solution s.
func (s Solution) FieldLabel() string {
	if s == SolutionHub {
		return FieldCompany
	}
	return FieldVirtualServer
}

// SyncResult tells what [SyncCustomFields] changed in Tigerpaw.
type SyncResult struct {
	// CategoryCreated reports that the FieldCategory category was created.
	CategoryCreated bool
	// FieldsCreated are the labels of the fields that were created.
	FieldsCreated []string
	// Written are the accounts whose field got a tenant name.
	Written []int
	// Cleared are the accounts whose field was emptied.
	Cleared []int
}

// Changed reports whether the sync changed anything.
func (r SyncResult) Changed() bool {
	return r.CategoryCreated || len(r.FieldsCreated)+len(r.Written)+len(r.Cleared) > 0
}

// SyncCustomFields makes the integration's custom fields on Tigerpaw accounts
// agree with cfgs, which must be every configuration of a store (the store of
// integrations that share one Tigerpaw):
//
//   - the category FieldCategory and, for each solution some configuration uses,
//     its text field (FieldVirtualServer or FieldCompany) are created when
//     missing;
//   - each mapped account's field holds its tenant's name;
//   - the field is emptied on every other account, so that an unmapped account
//     shows an empty field.
//
// It reads the current values first and writes only those that differ, so a
// second call with the same configurations writes nothing. A write that fails
// does not stop the others; the errors are joined and a later call converges.
// The fields of a solution no configuration uses are left alone.
func SyncCustomFields(ctx context.Context, cf CustomFields, cfgs []Config) (SyncResult, error) {
	var res SyncResult
	var solutions []Solution
	for _, s := range []Solution{SolutionKSC, SolutionHub} {
		if slices.ContainsFunc(cfgs, func(c Config) bool { return c.Solution == s }) {
			solutions = append(solutions, s)
		}
	}
	if len(solutions) == 0 {
		return res, nil
	}
	if cf == nil {
		return res, fmt.Errorf("mapping: sync custom fields: no Tigerpaw directory: %w", ErrRequired)
	}
	cats, err := cf.AccountFieldCategories(ctx)
	if err != nil {
		return res, fmt.Errorf("mapping: listing custom field categories: %w", err)
	}
	// A category that differs only in case is the same category.
	category := FieldCategory
	if i := slices.IndexFunc(cats, func(c string) bool { return strings.EqualFold(c, FieldCategory) }); i >= 0 {
		category = cats[i]
	} else {
		if err := cf.CreateAccountFieldCategory(ctx, category); err != nil {
			return res, fmt.Errorf("mapping: creating custom field category %q: %w", category, err)
		}
		res.CategoryCreated = true
	}
	defs, err := cf.AccountFields(ctx)
	if err != nil {
		return res, fmt.Errorf("mapping: listing account custom fields: %w", err)
	}
	var errs []error
	for _, s := range solutions {
		label := s.FieldLabel()
		i := slices.IndexFunc(defs, func(d FieldDefinition) bool {
			return strings.EqualFold(d.Category, FieldCategory) && strings.EqualFold(d.Label, label)
		})
		var def FieldDefinition
		if i >= 0 {
			def = defs[i]
		} else {
			def, err = cf.CreateAccountTextField(ctx, category, label)
			if err != nil {
				errs = append(errs, fmt.Errorf("mapping: creating custom field %q: %w", label, err))
				continue
			}
			res.FieldsCreated = append(res.FieldsCreated, label)
		}
		if err := syncField(ctx, cf, def, s, cfgs, &res); err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// syncField writes the values of one field.
func syncField(ctx context.Context, cf CustomFields, def FieldDefinition, s Solution, cfgs []Config, res *SyncResult) error {
	want := map[int]string{}
	for _, c := range cfgs {
		if c.Solution != s {
			continue
		}
		for _, t := range c.Tenants {
			if t.Account != nil && t.Account.Number > 0 {
				want[t.Account.Number] = t.Name
			}
		}
	}
	have, err := cf.AccountFieldValues(ctx, def.ID)
	if err != nil {
		return fmt.Errorf("mapping: reading custom field %q: %w", def.Label, err)
	}
	var errs []error
	for _, acct := range sortedKeys(want) {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if have[acct] == want[acct] {
			continue
		}
		if err := cf.SetAccountFieldValue(ctx, acct, def.ID, want[acct]); err != nil {
			errs = append(errs, fmt.Errorf("mapping: writing custom field %q of account %d: %w", def.Label, acct, err))
			continue
		}
		res.Written = append(res.Written, acct)
	}
	for _, acct := range sortedKeys(have) {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if _, ok := want[acct]; ok || have[acct] == "" {
			continue
		}
		if err := cf.SetAccountFieldValue(ctx, acct, def.ID, ""); err != nil {
			errs = append(errs, fmt.Errorf("mapping: clearing custom field %q of account %d: %w", def.Label, acct, err))
			continue
		}
		res.Cleared = append(res.Cleared, acct)
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
