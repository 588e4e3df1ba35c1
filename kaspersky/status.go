package kaspersky

// StatusCode is the stable code of a status description. Codes are lower-case,
// hyphenated words; they key service order rules and appear in the references of
// the service orders the module opens, so they never change once released.
type StatusCode string

// StatusDescription is one reason for a device's Warning or Critical status.
type StatusDescription struct {
	Code StatusCode
	// Text is the human wording, as the console shows it.
	Text string
}

// The status descriptions of Kaspersky Security Center, in the order of the bits of
// KLHST_WKS_STATUS_MASK (bit 0 first). Business Hub reports the subset that applies
// to it with the same codes.
const (
	StatusUnmanaged             StatusCode = "unmanaged"
	StatusRTPNotRunning         StatusCode = "rtp-not-running"
	StatusAppNotRunning         StatusCode = "app-not-running"
	StatusManyViruses           StatusCode = "many-viruses"
	StatusRTPLevelChanged       StatusCode = "rtp-level-changed"
	StatusAppNotInstalled       StatusCode = "app-not-installed"
	StatusScanOverdue           StatusCode = "scan-overdue"
	StatusDatabasesOutdated     StatusCode = "databases-outdated"
	StatusNotConnected          StatusCode = "not-connected"
	StatusLicenseExpired        StatusCode = "license-expired"
	StatusUnprocessedObjects    StatusCode = "unprocessed-objects"
	StatusRestartRequired       StatusCode = "restart-required"
	StatusIncompatibleApps      StatusCode = "incompatible-apps"
	StatusVulnerabilities       StatusCode = "vulnerabilities"
	StatusUpdatesSearchOverdue  StatusCode = "updates-search-overdue"
	StatusInvalidEncryption     StatusCode = "invalid-encryption"
	StatusMobilePolicyViolation StatusCode = "mobile-policy-violation"
	StatusUnprocessedIncidents  StatusCode = "unprocessed-incidents"
	StatusDefinedByApp          StatusCode = "defined-by-app"
	StatusOutOfDiskSpace        StatusCode = "out-of-disk-space"
)

// KnownStatuses lists the status descriptions the module knows, in the order of the
// KSC status mask bits: KnownStatuses[i] is bit i.
var KnownStatuses = [...]StatusDescription{
	{StatusUnmanaged, "Device has become unmanaged"},
	{StatusRTPNotRunning, "Real-time protection is not running"},
	{StatusAppNotRunning, "Security application is not running"},
	{StatusManyViruses, "Many viruses detected"},
	{StatusRTPLevelChanged, "Real-time protection level differs from the one set by the administrator"},
	{StatusAppNotInstalled, "Security application is not installed"},
	{StatusScanOverdue, "Malware scan has not been performed in a long time"},
	{StatusDatabasesOutdated, "Databases are out of date"},
	{StatusNotConnected, "Not connected for a long time"},
	{StatusLicenseExpired, "License expired"},
	{StatusUnprocessedObjects, "Too many unprocessed objects"},
	{StatusRestartRequired, "Restart is required"},
	{StatusIncompatibleApps, "Incompatible applications are installed"},
	{StatusVulnerabilities, "Software vulnerabilities have been detected"},
	{StatusUpdatesSearchOverdue, "Last search for operating system updates performed long ago"},
	{StatusInvalidEncryption, "Invalid encryption status"},
	{StatusMobilePolicyViolation, "Mobile device settings do not comply with the policy"},
	{StatusUnprocessedIncidents, "There are unprocessed incidents"},
	{StatusDefinedByApp, "Device status is defined by the application"},
	{StatusOutOfDiskSpace, "Device is out of disk space"},
}

// LookupStatus returns the known description with the given code.
func LookupStatus(code StatusCode) (StatusDescription, bool) {
	for _, s := range KnownStatuses {
		if s.Code == code {
			return s, true
		}
	}
	return StatusDescription{}, false
}
