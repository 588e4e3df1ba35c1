package hub

import (
	"context"
	"fmt"
	"iter"
	"net/url"
)

// Company is a Business Hub company (older documents: workspace), one customer
// of the MSP.
type Company struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Companies lists the companies of the account (GET /api/v1/companies).
func (c *Client) Companies(ctx context.Context) iter.Seq2[Company, error] {
	return list(ctx, c, "/api/v1/companies", nil, decodePlain[Company])
}

// companyPath returns /api/v1/companies/{id}/{rest}, with the id escaped.
func companyPath(companyID, rest string) (string, error) {
	if companyID == "" {
		return "", fmt.Errorf("hub: company id is empty")
	}
	return "/api/v1/companies/" + url.PathEscape(companyID) + "/" + rest, nil
}

// failed is an iterator that yields err once.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
