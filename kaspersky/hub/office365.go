package hub

import (
	"context"
	"encoding/json"
	"fmt"
)

// Office365Status is the state of Kaspersky Security for Microsoft Office 365 for
// a company.
type Office365Status struct {
	MailboxesProtected bool `json:"mailboxesProtected"`
	LicenseOK          bool `json:"licenseOk"`
	ProtectedMailboxes int  `json:"protectedMailboxes"`
}

// statusAnswer decodes an Office 365 status strictly: every field must be
// there, so that an empty answer is not read as "nothing protected".
type statusAnswer struct{ st Office365Status }

func (a *statusAnswer) decodeBody(body []byte) error {
	var w struct {
		MailboxesProtected *bool `json:"mailboxesProtected"`
		LicenseOK          *bool `json:"licenseOk"`
		ProtectedMailboxes *int  `json:"protectedMailboxes"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	for _, f := range []struct {
		name string
		ok   bool
	}{{"mailboxesProtected", w.MailboxesProtected != nil}, {"licenseOk", w.LicenseOK != nil}, {"protectedMailboxes", w.ProtectedMailboxes != nil}} {
		if !f.ok {
			return fmt.Errorf("%w: field %q is missing or null", ErrBadResponse, f.name)
		}
	}
	if *w.ProtectedMailboxes < 0 {
		return fmt.Errorf("%w: protectedMailboxes is %d, a count cannot be negative", ErrBadResponse, *w.ProtectedMailboxes)
	}
	a.st = Office365Status{MailboxesProtected: *w.MailboxesProtected, LicenseOK: *w.LicenseOK, ProtectedMailboxes: *w.ProtectedMailboxes}
	return nil
}

// Office365Status reads the Office 365 state of a company (GET
// /api/v1/companies/{id}/office365/status). A company without Office 365
// protection answers 404: the error matches ErrNotFound. An answer without one
// of the three fields is an error wrapping ErrBadResponse.
func (c *Client) Office365Status(ctx context.Context, companyID string) (Office365Status, error) {
	p, err := companyPath(companyID, "office365/status")
	if err != nil {
		return Office365Status{}, err
	}
	var a statusAnswer
	if err := c.get(ctx, p, nil, &a); err != nil {
		return Office365Status{}, err
	}
	return a.st, nil
}
