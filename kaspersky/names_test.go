package kaspersky

import "testing"

// TestNames checks the display names against the product's wording, and that
// an out-of-range value names its type instead of passing for a real one.
func TestNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		got, want string
	}{
		{WindowsWorkstation.String(), "Windows workstations"},
		{WindowsServer.String(), "Windows servers"},
		{NonWindows.String(), "Non-Windows devices"},
		{Category(9).String(), "Category(9)"},
		{StatusOK.String(), "OK"},
		{StatusWarning.String(), "Warning"},
		{StatusCritical.String(), "Critical"},
		{StatusLevel(7).String(), "StatusLevel(7)"},
		{KindVirtualServer.String(), "virtual server"},
		{KindCompany.String(), "company"},
		{TenantKind(0).String(), "TenantKind(0)"},
		{PerDevice.String(), "per device"},
		{PerUser.String(), "per user"},
		{PerMailbox.String(), "per mailbox"},
		{Licensing(0).String(), "Licensing(0)"},
		{KeyUnknown.String(), "unknown"},
		{KeyCommercial.String(), "commercial"},
		{KeySubscription.String(), "subscription"},
		{KeyTrial.String(), "trial"},
		{KeyBeta.String(), "beta"},
		{KeyTest.String(), "test"},
		{KeyOEM.String(), "OEM"},
		{KeyType(42).String(), "KeyType(42)"},
		{StateUnspecified.String(), "unspecified"},
		{StateActive.String(), "active"},
		{StatePaused.String(), "paused"},
		{StateSoftCancelled.String(), "soft cancelled"},
		{StateCancelled.String(), "cancelled"},
		{LicenseState(-1).String(), "LicenseState(-1)"},
		{OriginKSC.String(), "Kaspersky Security Center"},
		{OriginKESCloud.String(), "Kaspersky Endpoint Security Cloud"},
		{OriginOffice365.String(), "Kaspersky Security for Microsoft Office 365"},
		{Origin(0).String(), "Origin(0)"},
		{SeverityNone.String(), "none"},
		{SeverityInfo.String(), "Info"},
		{SeverityWarning.String(), "Warning"},
		{SeverityFunctionalFailure.String(), "Functional failure"},
		{SeverityCritical.String(), "Critical"},
		{Severity(5).String(), "Severity(5)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	for _, c := range Categories {
		if !c.Valid() {
			t.Errorf("%v is not valid", c)
		}
	}
	if Category(0).Valid() || Category(4).Valid() {
		t.Error("an out-of-range category is valid")
	}
	if len(Office365EventTypes) != 6 {
		t.Errorf("Office 365 event types = %d, want the 6 of the contract", len(Office365EventTypes))
	}
	for _, et := range Office365EventTypes {
		if et.Text == "" {
			t.Errorf("%s has no text", et.Type)
		}
	}
}
