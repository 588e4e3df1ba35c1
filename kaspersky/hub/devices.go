package hub

import (
	"context"
	"iter"
)

// Device is a device of a company as the contract sends it.
type Device struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Platform is "windows", "macos", "linux", "android" or "ios".
	Platform string `json:"platform"`
	// Kind is "workstation", "server" or "mobile"; Source.Inventory reads a
	// device without a kind on a platform other than Windows (see IsMobile).
	Kind string `json:"kind"`
	// UserID is the user the device is assigned to (per-user licensing).
	UserID string `json:"userId"`
	// Status is "ok", "warning" or "critical".
	Status             string              `json:"status"`
	StatusDescriptions []StatusDescription `json:"statusDescriptions"`
}

// StatusDescription is one reason for a device's status.
type StatusDescription struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Devices lists the devices of a company (GET /api/v1/companies/{id}/devices).
func (c *Client) Devices(ctx context.Context, companyID string) iter.Seq2[Device, error] {
	p, err := companyPath(companyID, "devices")
	if err != nil {
		return failed[Device](err)
	}
	return list(ctx, c, p, nil, decodeDevice)
}
