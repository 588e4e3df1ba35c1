package kaspersky

import (
	"fmt"
	"strings"
	"unicode"
)

// AppID is the stable id of a Kaspersky application. Catalog ids are short
// lower-case words; ids derived for unknown products start with "x-".
type AppID string

// Licensing is how an application is licensed, and so how its usage is counted.
type Licensing int

// The licensing models.
const (
	// PerDevice applications bill each device that uses an active key once, and can
	// be billed by device category.
	PerDevice Licensing = iota + 1
	// PerUser applications bill users (Kaspersky Endpoint Security Cloud) and are
	// never billed by device category.
	PerUser
	// PerMailbox applications bill protected mailboxes (Kaspersky Security for
	// Microsoft Office 365).
	PerMailbox
)

// String names the model.
func (l Licensing) String() string {
	switch l {
	case PerDevice:
		return "per device"
	case PerUser:
		return "per user"
	case PerMailbox:
		return "per mailbox"
	}
	return fmt.Sprintf("Licensing(%d)", int(l))
}

// Application is a licensed Kaspersky security application.
type Application struct {
	ID        AppID
	Name      string
	Licensing Licensing
	// Aliases are other spellings of the product name that consoles report; they are
	// matched after normalisation, like Name.
	Aliases []string
}

// The applications of the catalog.
const (
	AppKESBSelect        AppID = "kesb-select"
	AppKESBAdvanced      AppID = "kesb-advanced"
	AppTotalSecurity     AppID = "ktsb"
	AppKESCloud          AppID = "kes-cloud"
	AppKESCloudPlus      AppID = "kes-cloud-plus"
	AppKESCloudPro       AppID = "kes-cloud-pro"
	AppOffice365         AppID = "office365"
	AppHybridCloud       AppID = "khcs"
	AppVirtualization    AppID = "ksv-light-agent"
	AppMailServer        AppID = "ksms"
	AppOptimumSecurity   AppID = "kos"
	AppSmallOffice       AppID = "ksos"
	AppEmbeddedSystems   AppID = "kes-embedded"
	AppEndpointDetection AppID = "kedr-optimum"
)

// Catalog lists the applications the module knows. Mapping refers to them by ID.
var Catalog = []Application{
	{ID: AppKESBSelect, Name: "Kaspersky Endpoint Security for Business Select", Licensing: PerDevice,
		Aliases: []string{"Kaspersky Endpoint Security для бизнеса Стандартный"}},
	{ID: AppKESBAdvanced, Name: "Kaspersky Endpoint Security for Business Advanced", Licensing: PerDevice,
		Aliases: []string{"Kaspersky Endpoint Security для бизнеса Расширенный"}},
	{ID: AppTotalSecurity, Name: "Kaspersky Total Security for Business", Licensing: PerDevice},
	{ID: AppHybridCloud, Name: "Kaspersky Hybrid Cloud Security", Licensing: PerDevice},
	{ID: AppVirtualization, Name: "Kaspersky Security for Virtualization Light Agent", Licensing: PerDevice},
	{ID: AppMailServer, Name: "Kaspersky Security for Mail Server", Licensing: PerDevice},
	{ID: AppOptimumSecurity, Name: "Kaspersky Optimum Security", Licensing: PerDevice},
	{ID: AppSmallOffice, Name: "Kaspersky Small Office Security", Licensing: PerDevice},
	{ID: AppEmbeddedSystems, Name: "Kaspersky Embedded Systems Security", Licensing: PerDevice},
	{ID: AppEndpointDetection, Name: "Kaspersky Endpoint Detection and Response Optimum", Licensing: PerDevice},
	{ID: AppKESCloud, Name: "Kaspersky Endpoint Security Cloud", Licensing: PerUser},
	{ID: AppKESCloudPlus, Name: "Kaspersky Endpoint Security Cloud Plus", Licensing: PerUser},
	{ID: AppKESCloudPro, Name: "Kaspersky Endpoint Security Cloud Pro", Licensing: PerUser},
	{ID: AppOffice365, Name: "Kaspersky Security for Microsoft Office 365", Licensing: PerMailbox},
}

// catalogIndex maps normalised names and aliases to catalog positions. It is built
// once and never changed.
var catalogIndex = func() map[string]int {
	m := make(map[string]int, 2*len(Catalog))
	for i, a := range Catalog {
		m[NormalizeName(a.Name)] = i
		for _, alias := range a.Aliases {
			m[NormalizeName(alias)] = i
		}
	}
	return m
}()

// LookupApplication returns the catalog entry with the given id.
func LookupApplication(id AppID) (Application, bool) {
	for _, a := range Catalog {
		if a.ID == id {
			return a, true
		}
	}
	return Application{}, false
}

// LicensingOf returns the licensing model of app: the catalog's, or per device
// for an application the catalog does not know (one derived from a product
// name, see [ApplicationByName]).
func LicensingOf(app AppID) Licensing {
	if a, ok := LookupApplication(app); ok {
		return a.Licensing
	}
	return PerDevice
}

// SingleItemOnly reports whether app is billed to one price book item whatever
// the billing mode: per-user and per-mailbox applications are, since their
// usage has no device category.
func SingleItemOnly(app AppID) bool {
	return LicensingOf(app) != PerDevice
}

// BilledByCategory reports whether app is billed to three price book items,
// one per device [Category] (Windows workstations, Windows servers, non-Windows
// devices), rather than to one: per-device applications are when the price
// book bills by category (billByCategory, the "Bill devices by category"
// option); the others never are (see [SingleItemOnly]).
func BilledByCategory(app AppID, billByCategory bool) bool {
	return billByCategory && !SingleItemOnly(app)
}

// ApplicationByName resolves a product name as a console reports it to an
// application. The comparison ignores case, punctuation and spacing, so
// "Kaspersky Endpoint Security for Business - Advanced" and "kaspersky endpoint
// security for business advanced" are the same application. A product the catalog
// does not know is returned as a per-device application whose ID is derived from
// its normalised name ("x-" followed by the words joined with "-"), so that it can
// be mapped before the catalog learns it. The second result reports whether the
// name was in the catalog.
func ApplicationByName(name string) (Application, bool) {
	n := NormalizeName(name)
	if i, ok := catalogIndex[n]; ok {
		return Catalog[i], true
	}
	return Application{
		ID:        AppID("x-" + strings.ReplaceAll(n, " ", "-")),
		Name:      strings.TrimSpace(name),
		Licensing: PerDevice,
	}, false
}

// NormalizeName folds a product name for comparison: lower case, letters and digits
// kept (any script), every run of other characters turned into one space, no
// leading or trailing space.
func NormalizeName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = true
	}
	return b.String()
}
