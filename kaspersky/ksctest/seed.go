package ksctest

import "time"

// User is an account the fake server accepts.
type User struct {
	Name     string
	Password string
	// Domain is the Windows domain of a domain account; empty for an internal
	// user.
	Domain string
	// Internal marks a KSC-internal user (internal="1").
	Internal bool
}

// VirtualServer is a virtual server of the fake server.
type VirtualServer struct {
	ID             int
	UID            string
	DisplayName    string
	GroupID        int
	ManagedGroupID int
	Enabled        bool
}

// Host is a managed device of the fake server.
type Host struct {
	Hostname    string // KLHST_WKS_HOSTNAME
	DisplayName string // KLHST_WKS_DN
	OSName      string // KLHST_WKS_OS_NAME
	CType       int    // KLHST_WKS_CTYPE
	// NoCType leaves KLHST_WKS_CTYPE out of the host's attributes.
	NoCType    bool
	StatusID   int   // KLHST_WKS_STATUS_ID
	StatusMask int64 // KLHST_WKS_STATUS_MASK
	// MaskAsPlainInt sends the status mask as a plain JSON integer instead of a
	// wrapped long, as some servers do.
	MaskAsPlainInt bool
	Status         int       // KLHST_WKS_STATUS
	LastVisible    time.Time // KLHST_WKS_LAST_VISIBLE; zero is sent as ""
	// GroupID is the host's administration group; 0 means the managed-devices
	// group of its virtual server.
	GroupID int
}

// Key is a license key of the fake server.
type Key struct {
	Serial         string
	ProductName    string
	AppID          int
	KeyType        int // 1 Commercial, 2 Beta, 3 Trial, 4 Test, 5 OEM, 6 Subscription
	LimitDate      time.Time
	LicCount       int
	HostsAsCurrent int
	IsSubscription bool
	// SubscriptionState (0 Active, 1 Paused, 2 Soft cancelled, 3 Hard cancelled)
	// and SubscriptionEnd are sent for subscription keys only.
	SubscriptionState int
	SubscriptionEnd   time.Time
}

// KeyHost is a host using a key.
type KeyHost struct {
	Hostname string
	// Current is true for the host's active key, false for a reserve key.
	Current bool
	Product string
}

// Event is an event record of the fake server.
type Event struct {
	ID          int64 // event_db_id
	Type        string
	TypeName    string
	RiseTime    time.Time
	Hostname    string
	HostDN      string
	Severity    int // 1 Info, 2 Warning, 3 Error, 4 Critical
	Description string
	ProductName string
}

// PxgError is an error the fake server answers with.
type PxgError struct {
	Code      int
	Subcode   int
	Module    string
	File      string
	Line      int
	Message   string
	Format    string
	FormatID  int
	LocModule string
	Args      []any
}

// Fault is a failure injected into the next call of a method.
type Fault struct {
	// Delay waits before the call is handled (or until the client gives up).
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// ExpireSession ends the caller's session first, so the call gets HTTP 403.
	ExpireSession bool
	// Status answers with this HTTP status; with PxgError set it is the status
	// that carries the error (default 200), else the body is plain text.
	Status int
	// PxgError answers with this error.
	PxgError *PxgError
	// RetryAfter, when positive, adds a Retry-After header (whole seconds) to
	// a Status answer.
	RetryAfter time.Duration
	// Body, when not nil, is the answer: the call is not performed, and Body
	// is sent as it is with Status (default 200) and a JSON content type.
	Body []byte
	// VirtualServer, when not empty, keeps the fault for a call on the virtual
	// server with that display name: calls on other servers pass it by and
	// take the next fault that applies to them, if any.
	VirtualServer string
	// Rewrite, when set, performs the call as usual (its effects on the
	// server's state included), then sends Rewrite's result instead of the
	// answer's body, with the same status. It sees the exact bytes the server
	// would have sent.
	Rewrite func(body []byte) []byte
}
