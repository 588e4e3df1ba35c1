package tigerpaw

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// AgreementsService reads agreements. Use it as Client.Agreements.
type AgreementsService struct{ c *Client }

// Agreement is the core of an agreement record.
type Agreement struct {
	AccountNumber            int
	Type                     string
	StartDate                DateTime
	EndDate                  DateTime
	BillingPeriod            int
	BillingPeriodDescription string
	AutomatedBilling         bool
	ExternalProduct          string
	ContractNumber           int
}

// Recurring reports whether the agreement bills periodically (BillingPeriod > 0).
// Automatic billing needs a recurring agreement.
func (a Agreement) Recurring() bool { return a.BillingPeriod > 0 }

// AgreementSummary is an agreement as Tigerpaw lists it. Tigerpaw 18.2.1 has no
// agreement name: show AgreementNumber and Agreement.StartDate.
type AgreementSummary struct {
	AgreementNumber int
	AccountName     string
	Agreement       Agreement
	// AdditionalCharges is the number of additional charges on the agreement.
	AdditionalCharges int
}

// agreementSpec reads the agreements of an account strictly (see decodeList).
var agreementSpec = listSpec[AgreementSummary]{what: "agreement", required: []string{"AgreementNumber"},
	check: func(a *AgreementSummary) error { return positiveField("AgreementNumber", a.AgreementNumber) }}

// ForAccount yields the agreements of an account, all pages
// (GET /api/agreements/account/{n}).
func (s *AgreementsService) ForAccount(ctx context.Context, accountNumber int) iter.Seq2[AgreementSummary, error] {
	if err := positive("account number", accountNumber); err != nil {
		return func(yield func(AgreementSummary, error) bool) { yield(AgreementSummary{}, err) }
	}
	path := pathf("/api/agreements/account/%d", accountNumber)
	return paginate(ctx, s.c, "agreements", 0, func(ctx context.Context, row, size int) (page[AgreementSummary], error) {
		body, err := s.c.do(ctx, &request{method: http.MethodGet, path: path, query: pageQuery(row, size), retry: true})
		if err != nil {
			return page[AgreementSummary]{}, err
		}
		return decodePage(s.c, http.MethodGet, path, body, "Agreements", agreementSpec)
	})
}

// Get returns one agreement (GET /api/agreements/{n}).
func (s *AgreementsService) Get(ctx context.Context, agreementNumber int) (*AgreementSummary, error) {
	if err := positive("agreement number", agreementNumber); err != nil {
		return nil, err
	}
	var a AgreementSummary
	path := pathf("/api/agreements/%d", agreementNumber)
	if err := s.c.getJSON(ctx, path, nil, &a); err != nil {
		return nil, err
	}
	if err := sameNumber(path, "AgreementNumber", a.AgreementNumber, agreementNumber); err != nil {
		return nil, err
	}
	return &a, nil
}

// pageQuery is the paging query of the GET searches.
func pageQuery(startRow, pageSize int) url.Values {
	return url.Values{
		"pageRequest.pageSize": {strconv.Itoa(pageSize)},
		"pageRequest.startRow": {strconv.Itoa(startRow)},
	}
}
