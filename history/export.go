package history

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mspkit/kaspersky-tigerpaw/billing"
)

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"day", "tenant", "agreement", "item", "application", "category", "description",
	"usage", "billed", "unit price", "price level", "amount"}

// WriteCSV writes the snapshots as CSV for a spreadsheet: a UTF-8 byte order
// mark (so that spreadsheets read the file as UTF-8), the header row
// (CSVHeader), then one row per day × tenant × item, ordered by day, tenant
// and item, with CRLF line ends and fields quoted as RFC 4180 says when they
// hold a comma, a quote or a line break. A text field starting with = + - @,
// a tab or a carriage return is prefixed with a single quote, so that a
// spreadsheet never runs it as a formula. Prices and amounts are in major
// units with two decimals ("4.50"); amount is billed × unit price.
func WriteCSV(w io.Writer, snaps []Snapshot) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	sorted := slices.Clone(snaps)
	slices.SortStableFunc(sorted, func(a, b Snapshot) int {
		if r := strings.Compare(a.Day, b.Day); r != 0 {
			return r
		}
		return strings.Compare(a.TenantID, b.TenantID)
	})
	for _, sn := range sorted {
		items := slices.Clone(sn.Items)
		slices.SortStableFunc(items, func(a, b Item) int { return strings.Compare(a.ItemID, b.ItemID) })
		for _, it := range items {
			cat := ""
			if it.Category != 0 {
				cat = it.Category.String()
			}
			row := []string{sn.Day, sn.TenantID, strconv.Itoa(it.Agreement), it.ItemID, string(it.App), cat, it.Label(),
				strconv.FormatInt(it.Usage, 10), strconv.FormatInt(it.Billed, 10), it.Price.String(),
				strconv.Itoa(it.PriceLevel), (it.Price * billing.Money(it.Billed)).String()}
			for i := range row {
				row[i] = SafeCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("history: csv: %w", err)
	}
	return nil
}

// SafeCell returns s with a single quote before it when a spreadsheet would
// take it for a formula: it starts with =, +, -, @, a tab or a carriage
// return.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
