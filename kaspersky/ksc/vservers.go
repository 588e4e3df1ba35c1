package ksc

import "context"

// VirtualServer is a KSC virtual server: a tenant of the Administration Server.
type VirtualServer struct {
	// ID is the server's numeric id (KLVSRV_ID).
	ID int64
	// UID is the globally unique name (KLVSRV_UID).
	UID string
	// DisplayName (KLVSRV_DN) is what X-KSC-VServer carries.
	DisplayName string
	// GroupID is the virtual server's own administration group (KLVSRV_GRP).
	GroupID int64
	// ManagedGroupID is its "Managed devices" group (KLVSRV_GROUPS), the root of
	// its devices. HasManagedGroup is false when the server sent none: the
	// devices of such a virtual server cannot be read.
	ManagedGroupID  int64
	HasManagedGroup bool
	Enabled         bool
}

type vserverWire struct {
	ID      flexInt  `json:"KLVSRV_ID"`
	UID     string   `json:"KLVSRV_UID"`
	DN      string   `json:"KLVSRV_DN"`
	Grp     flexInt  `json:"KLVSRV_GRP"`
	Groups  flexInt  `json:"KLVSRV_GROUPS"`
	Enabled flexBool `json:"KLVSRV_ENABLED"`
}

// VirtualServers lists the virtual servers of the whole Administration Server
// (VServers.GetVServers with lParentGroup -1).
func (c *Client) VirtualServers(ctx context.Context) ([]VirtualServer, error) {
	const method = "VServers.GetVServers"
	var out struct {
		List cappedArray[item[vserverWire]] `json:"PxgRetVal"`
	}
	if err := c.call(ctx, method, Params{"lParentGroup": -1}, &out, callOpts{idempotent: true}); err != nil {
		return nil, err
	}
	if !out.List.set {
		return nil, incomplete(method, "response has no list (PxgRetVal missing or null)")
	}
	vs := make([]VirtualServer, 0, len(out.List.elems))
	for i, it := range out.List.elems {
		w := it.v
		switch {
		case it.null:
			return nil, incomplete(method, "PxgRetVal element %d is null", i)
		case w.DN == "":
			return nil, incomplete(method, "PxgRetVal element %d has no KLVSRV_DN", i)
		case w.UID == "" && !w.ID.ok:
			return nil, incomplete(method, "PxgRetVal element %d has neither KLVSRV_UID nor KLVSRV_ID", i)
		}
		vs = append(vs, VirtualServer{
			ID: w.ID.v, UID: w.UID, DisplayName: w.DN, GroupID: w.Grp.v, ManagedGroupID: w.Groups.v, HasManagedGroup: w.Groups.ok,
			Enabled: w.Enabled.v || !w.Enabled.ok,
		})
	}
	return vs, nil
}
