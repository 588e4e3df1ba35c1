package tigerpawtest

import "slices"

func (s *Server) agreementSummary(a *Agreement) map[string]any {
	count := 0
	for _, ch := range s.st.charges {
		if ch.AgreementNumber == a.Number {
			count++
		}
	}
	name := ""
	if acct, ok := s.st.accounts[a.AccountNumber]; ok {
		name = acct.Name
	}
	return map[string]any{
		"AgreementNumber": a.Number,
		"AccountName":     name,
		"Agreement": map[string]any{
			"AccountNumber": a.AccountNumber, "Type": a.Type,
			"StartDate": s.dateOut(a.StartDate), "EndDate": s.dateOut(a.EndDate),
			"BillingPeriod": a.BillingPeriod, "BillingPeriodDescription": a.BillingPeriodDescription,
			"AutomatedBilling": a.AutomatedBilling, "ExternalProduct": a.ExternalProduct,
			"ContractNumber": a.ContractNumber,
		},
		"AdditionalCharges": count,
	}
}

func (s *Server) agreementsOfAccount(c *call) answer {
	if _, miss, found := s.account(c.ids[0]); !found {
		return miss
	}
	// Filter before sorting: the account's agreements are few, the server's many.
	var numbers []int
	for n, a := range s.st.agreements {
		if a.AccountNumber == c.ids[0] {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	mine := make([]*Agreement, 0, len(numbers))
	for _, n := range numbers {
		mine = append(mine, s.st.agreements[n])
	}
	start, size := pagingQuery(c.r.URL.Query())
	items, env := pageOf(mine, start, size)
	out := make([]any, 0, len(items))
	for _, a := range items {
		out = append(out, s.agreementSummary(a))
	}
	env["Agreements"] = out
	return ok(env)
}

func (s *Server) agreement(n int) (*Agreement, answer, bool) {
	a, found := s.st.agreements[n]
	if !found {
		return nil, notFound("Agreement %d was not found.", n), false
	}
	return a, answer{}, true
}

func (s *Server) getAgreement(c *call) answer {
	a, miss, found := s.agreement(c.ids[0])
	if !found {
		return miss
	}
	return ok(s.agreementSummary(a))
}
