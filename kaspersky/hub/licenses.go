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
	// ExpiresAt is zero when the license has no end date.
	ExpiresAt time.Time `json:"expiresAt"`
	Capacity  int       `json:"capacity"`
	// Users are the ids of the users assigned the license.
	Users []string `json:"users"`
	// Mailboxes is the number of protected mailboxes (office365).
	Mailboxes int `json:"mailboxes"`
}

// Licenses lists the licenses of a company (GET /api/v1/companies/{id}/licenses).
func (c *Client) Licenses(ctx context.Context, companyID string) iter.Seq2[License, error] {
	p, err := companyPath(companyID, "licenses")
	if err != nil {
		return failed[License](err)
	}
	return list(ctx, c, p, nil, decodeLicense)
}
