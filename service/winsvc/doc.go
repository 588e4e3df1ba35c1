// Package winsvc runs a daemon over package service as a Windows service, as
// the product it replaces ran: the install, uninstall, start and stop
// sub-commands register it with the service control manager (automatic
// start, restart on failure, a description, an Event Log source) and drive
// it; run by the service control manager, it reports start pending, then
// running once the runtime has started (service.WithNotify), and on stop or
// shutdown it reports stop pending while the cycle in flight finishes, as
// on SIGTERM. Its log goes to a rotating file under
// %ProgramData%\<DataDir>\logs and, warnings and errors, to the Windows Event
// Log; its configuration is %ProgramData%\<DataDir>\config.json unless the
// service's arguments name another.
//
// The state machine between the control requests and the runtime, the
// arguments and the Event Log's levels are portable code, tested on every
// system; the calls to Windows are in the _windows.go files. Elsewhere the
// sub-commands fail with ErrNotWindows and Main hands over at once.
package winsvc
