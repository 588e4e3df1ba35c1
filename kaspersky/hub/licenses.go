package hub

import (
	"context"
	"iter"
	"time"
)

// License is a license of a company as the contract sends it.
type License struct {
	ID string `json:"id"`
	// Product is "kes-cloud", "kes-cloud-plus", "kes-cloud-pro" or "office365".
	Product string `json:"product"`
	// Type is "commercial", "trial" or "subscription".
	Type string `json:"type"`
	// State is "active", "paused" or "cancelled".
	State string `json:"state"`
	// ExpiresAt is zero when the license has no end date. The service order
	// rules open an order when a license in use expires within their days.
	ExpiresAt time.Time `json:"expiresAt"`
	// Capacity is how many devices, users or mailboxes the license allows;
	// 0 when unlimited or unknown.
	Capacity int `json:"capacity"`
	// Used is how many devices, users or mailboxes Business Hub counts
	// against the license (optional; 0 or absent when the server does not
	// say, then the users and mailboxes stand for it). The service order
	// rules compare it with Capacity.
	Used int `json:"used"`
	// Users are the ids of the users assigned the license.
	Users []string `json:"users"`
	// Mailboxes is the number of protected mailboxes (office365).
	Mailboxes int `json:"mailboxes"`
	// HasMailboxes reports whether the answer carried mailboxes as a number:
	// when it is false the field was absent or null and Mailboxes is 0
	// without the server having said so. Billing counts the mailboxes of a
	// company without Office 365 status (see Source.Inventory).
	HasMailboxes bool `json:"-"`
}

// Licenses lists the licenses of a company (GET /api/v1/companies/{id}/licenses).
func (c *Client) Licenses(ctx context.Context, companyID string) iter.Seq2[License, error] {
	p, err := companyPath(companyID, "licenses")
	if err != nil {
		return failed[License](err)
	}
	return list(ctx, c, p, nil, decodeLicense)
}
