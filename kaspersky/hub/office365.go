package hub

import "context"

// Office365Status is the state of Kaspersky Security for Microsoft Office 365 for
// a company.
type Office365Status struct {
	MailboxesProtected bool `json:"mailboxesProtected"`
	LicenseOK          bool `json:"licenseOk"`
	ProtectedMailboxes int  `json:"protectedMailboxes"`
}

// Office365Status reads the Office 365 state of a company (GET
// /api/v1/companies/{id}/office365/status). A company without Office 365
// protection answers 404: the error matches ErrNotFound.
func (c *Client) Office365Status(ctx context.Context, companyID string) (Office365Status, error) {
	p, err := companyPath(companyID, "office365/status")
	if err != nil {
		return Office365Status{}, err
	}
	var st Office365Status
	if err := c.get(ctx, p, nil, &st); err != nil {
		return Office365Status{}, err
	}
	return st, nil
}
