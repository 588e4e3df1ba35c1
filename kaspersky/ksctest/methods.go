package ksctest

import (
	"cmp"
	"slices"
	"time"
)

// resultSet is an open server-side result set.
type resultSet struct {
	family  string // "chunk", "iterator", "events"
	session string
	items   []map[string]any // rendered items (wire form)
	pos     int              // GroupSyncIterator position
}

const (
	famChunk    = "chunk"
	famIterator = "iterator"
	famEvents   = "events"
)

func (s *Server) dispatch(r *request) (map[string]any, *PxgError) {
	switch r.method {
	case "Session.EndSession":
		s.mu.Lock()
		s.endSessionLocked(r.session)
		s.mu.Unlock()
		return map[string]any{}, nil
	case "VServers.GetVServers":
		return s.getVServers(r)
	case "HostGroup.FindHosts":
		return s.findHosts(r)
	case "ChunkAccessor.GetItemsCount":
		return s.chunkCount(r)
	case "ChunkAccessor.GetItemsChunk":
		return s.chunkItems(r)
	case "ChunkAccessor.Release":
		return s.release(r, "strAccessor", famChunk)
	case "LicenseKeys.EnumKeys":
		return s.enumKeys(r)
	case "LicenseKeys.AcquireKeyHosts":
		return s.acquireKeyHosts(r)
	case "GroupSyncIterator.GetNextItems":
		return s.nextItems(r)
	case "GroupSyncIterator.ReleaseIterator":
		return s.release(r, "szwIterator", famIterator)
	case "EventProcessingFactory.CreateEventProcessing2":
		return s.createEvents(r)
	case "EventProcessing.GetRecordCount":
		return s.eventCount(r)
	case "EventProcessing.GetRecordRange":
		return s.eventRange(r)
	case "EventProcessing.ReleaseIterator":
		return s.release(r, "strIteratorId", famEvents)
	}
	return nil, &PxgError{Code: 1, Module: "KLSTD", Message: "Method '" + r.method + "' not found",
		Format: "Method '%1' not found", LocModule: "KLSTD", Args: []any{r.method}}
}

func (s *Server) getVServers(r *request) (map[string]any, *PxgError) {
	parent, err := argInt(r.args, "lParentGroup")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []any{}
	for _, vs := range s.vservers {
		if parent != -1 && int64(vs.GroupID) != parent {
			continue
		}
		list = append(list, wrapParams(map[string]any{
			"KLVSRV_ID": vs.ID, "KLVSRV_UID": vs.UID, "KLVSRV_DN": vs.DisplayName,
			"KLVSRV_GRP": vs.GroupID, "KLVSRV_GROUPS": vs.ManagedGroupID, "KLVSRV_ENABLED": vs.Enabled,
		}))
	}
	return map[string]any{"PxgRetVal": list}, nil
}

// record attributes carry Go values whose type decides the wire form: int,
// string and bool are plain, int64 is a long, time.Time a datetime.
func render(rec map[string]any, fields []string) map[string]any {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		v, ok := rec[f]
		if !ok {
			continue
		}
		switch x := v.(type) {
		case int64:
			out[f] = wrapLong(x)
		case time.Time:
			out[f] = wrapDateTime(x)
		default:
			out[f] = v
		}
	}
	return wrapParams(out)
}

func checkFields(fields []string, known map[string]bool, arg string) *PxgError {
	for _, f := range fields {
		if !known[f] {
			return &PxgError{Code: 1189, Module: "KLSRV", Message: "Unknown attribute '" + f + "' in " + arg,
				Format: "Unknown attribute '%1' in %2", LocModule: "KLSRV", Args: []any{f, arg}}
		}
	}
	return nil
}

var hostAttrs = map[string]bool{
	"KLHST_WKS_HOSTNAME": true, "KLHST_WKS_DN": true, "KLHST_WKS_OS_NAME": true, "KLHST_WKS_CTYPE": true,
	"KLHST_WKS_STATUS_ID": true, "KLHST_WKS_STATUS_MASK": true, "KLHST_WKS_STATUS": true,
	"KLHST_WKS_LAST_VISIBLE": true, "KLHST_WKS_GROUPID": true, "KLHST_WKS_GROUPID_GP": true,
}

func (s *Server) hostRecordLocked(vs string, h Host) map[string]any {
	group := h.GroupID
	if group == 0 {
		for _, v := range s.vservers {
			if v.DisplayName == vs {
				group = v.ManagedGroupID
			}
		}
	}
	rec := map[string]any{
		"KLHST_WKS_HOSTNAME": h.Hostname, "KLHST_WKS_DN": h.DisplayName, "KLHST_WKS_OS_NAME": h.OSName,
		"KLHST_WKS_STATUS_ID": h.StatusID, "KLHST_WKS_STATUS_MASK": h.StatusMask, "KLHST_WKS_STATUS": h.Status,
		"KLHST_WKS_LAST_VISIBLE": h.LastVisible, "KLHST_WKS_GROUPID": group, "KLHST_WKS_GROUPID_GP": group,
	}
	if h.MaskAsPlainInt {
		rec["KLHST_WKS_STATUS_MASK"] = int(h.StatusMask)
	}
	if !h.NoCType {
		rec["KLHST_WKS_CTYPE"] = h.CType
	}
	return rec
}

func compareAttr(a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		return cmp.Compare(x, y)
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	x, _ := asInt(a)
	y, _ := asInt(b)
	return cmp.Compare(x, y)
}

func sortRecords(recs []map[string]any, order []orderField) {
	slices.SortStableFunc(recs, func(a, b map[string]any) int {
		for _, o := range order {
			d := compareAttr(a[o.name], b[o.name])
			if !o.asc {
				d = -d
			}
			if d != 0 {
				return d
			}
		}
		return 0
	})
}

func (s *Server) openLocked(family, session string, items []map[string]any) string {
	id := s.newIDLocked(family)
	s.handles[id] = &resultSet{family: family, session: session, items: items}
	return id
}

func (s *Server) findHosts(r *request) (map[string]any, *PxgError) {
	filter, err := argString(r.args, "wstrFilter")
	if err != nil {
		return nil, err
	}
	fields, err := argStrings(r.args, "vecFieldsToReturn")
	if err != nil {
		return nil, err
	}
	order, err := argOrder(r.args, "vecFieldsToOrder")
	if err != nil {
		return nil, err
	}
	if _, err := argBareParams(r.args, "pParams"); err != nil {
		return nil, err
	}
	if _, err := argInt(r.args, "lMaxLifeTime"); err != nil {
		return nil, err
	}
	if err := checkFields(fields, hostAttrs, "vecFieldsToReturn"); err != nil {
		return nil, err
	}
	for _, o := range order {
		if err := checkFields([]string{o.name}, hostAttrs, "vecFieldsToOrder"); err != nil {
			return nil, err
		}
	}
	n, perr := parseFilter(filter)
	if perr != nil {
		return nil, &PxgError{Code: 1190, Module: "KLSRV", Message: "Invalid filter: " + perr.Error(),
			Format: "Invalid filter: %1", LocModule: "KLSRV", Args: []any{perr.Error()}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []map[string]any
	for _, h := range s.hosts[r.vs] {
		rec := s.hostRecordLocked(r.vs, h)
		if n.match(rec) {
			recs = append(recs, rec)
		}
	}
	sortRecords(recs, order)
	items := make([]map[string]any, len(recs))
	for i, rec := range recs {
		items[i] = render(rec, fields)
	}
	id := s.openLocked(famChunk, r.session, items)
	return map[string]any{"strAccessor": id, "PxgRetVal": len(items)}, nil
}

func (s *Server) handleLocked(r *request, arg, family string) (*resultSet, *PxgError) {
	id, err := argString(r.args, arg)
	if err != nil {
		return nil, err
	}
	rs, ok := s.handles[id]
	if !ok || rs.session != r.session || rs.family != family {
		return nil, &PxgError{Code: 1183, Module: "KLSTD", Message: "Object '" + id + "' not found",
			Format: "Object '%1' not found", LocModule: "KLSTD", Args: []any{id}}
	}
	return rs, nil
}

func (s *Server) chunkCount(r *request) (map[string]any, *PxgError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.handleLocked(r, "strAccessor", famChunk)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PxgRetVal": len(rs.items)}, nil
}

func window(items []map[string]any, start, end int64) []any {
	out := []any{}
	for i := max(start, 0); i < end && i < int64(len(items)); i++ {
		out = append(out, items[i])
	}
	return out
}

func (s *Server) chunkItems(r *request) (map[string]any, *PxgError) {
	start, err := argInt(r.args, "nStart")
	if err != nil {
		return nil, err
	}
	count, err := argInt(r.args, "nCount")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.handleLocked(r, "strAccessor", famChunk)
	if err != nil {
		return nil, err
	}
	chunk := window(rs.items, start, start+count)
	return map[string]any{"pChunk": map[string]any{"KLCSP_ITERATOR_ARRAY": chunk}, "PxgRetVal": len(chunk)}, nil
}

func (s *Server) release(r *request, arg, family string) (map[string]any, *PxgError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.handleLocked(r, arg, family)
	if err != nil {
		return nil, err
	}
	for id, h := range s.handles {
		if h == rs {
			delete(s.handles, id)
		}
	}
	return map[string]any{}, nil
}

var keyAttrs = map[string]bool{
	"KLLIC_SERIAL": true, "KLLIC_PROD_NAME": true, "KLLIC_APP_ID": true, "KLLIC_KEY_TYPE": true,
	"KLLIC_LIMIT_DATE": true, "KLLIC_LIC_COUNT": true, "KLLIC_NHOSTS_ASCURRENT": true,
	"KLLIC_LICTYPE_IS_SUBSCRIPTION": true, "KLLIC_SUBSCRINFO_STATE": true, "KLLIC_SUBSCRINFO_ENDDATE": true,
}

var keyHostAttrs = map[string]bool{"KLLICSRV_HOSTNAME": true, "KLLICSRV_HOST_CURRENT": true, "KLLICSRV_PRODUCT": true}

// iteratorArgs checks the arguments EnumKeys and AcquireKeyHosts share.
func iteratorArgs(r *request, known map[string]bool) ([]string, *PxgError) {
	fields, err := argStrings(r.args, "pFields")
	if err != nil {
		return nil, err
	}
	if _, err := argStrings(r.args, "pFieldsToOrder"); err != nil {
		return nil, err
	}
	if _, err := argBareParams(r.args, "pOptions"); err != nil {
		return nil, err
	}
	if _, err := argInt(r.args, "lTimeoutSec"); err != nil {
		return nil, err
	}
	return fields, checkFields(fields, known, "pFields")
}

func (s *Server) enumKeys(r *request) (map[string]any, *PxgError) {
	fields, err := iteratorArgs(r, keyAttrs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []map[string]any
	for _, k := range s.keys[r.vs] {
		rec := map[string]any{
			"KLLIC_SERIAL": k.Serial, "KLLIC_PROD_NAME": k.ProductName, "KLLIC_APP_ID": k.AppID,
			"KLLIC_KEY_TYPE": k.KeyType, "KLLIC_LIMIT_DATE": k.LimitDate, "KLLIC_LIC_COUNT": k.LicCount,
			"KLLIC_NHOSTS_ASCURRENT": k.HostsAsCurrent, "KLLIC_LICTYPE_IS_SUBSCRIPTION": k.IsSubscription,
		}
		if k.IsSubscription {
			rec["KLLIC_SUBSCRINFO_STATE"] = k.SubscriptionState
			rec["KLLIC_SUBSCRINFO_ENDDATE"] = k.SubscriptionEnd
		}
		items = append(items, render(rec, fields))
	}
	return map[string]any{"wstrIterator": s.openLocked(famIterator, r.session, items), "lKeyCount": len(items)}, nil
}

func (s *Server) acquireKeyHosts(r *request) (map[string]any, *PxgError) {
	in, err := argBareParams(r.args, "pInData")
	if err != nil {
		return nil, err
	}
	serial, err := argString(in, "KLLIC_SERIAL")
	if err != nil {
		return nil, err
	}
	fields, err := iteratorArgs(r, keyHostAttrs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	known := false
	for _, k := range s.keys[r.vs] {
		known = known || k.Serial == serial
	}
	if !known {
		return nil, &PxgError{Code: 1183, Module: "KLLIC", Message: "Key '" + serial + "' not found",
			Format: "Key '%1' not found", LocModule: "KLLIC", Args: []any{serial}}
	}
	var items []map[string]any
	for _, kh := range s.keyHosts[serial] {
		items = append(items, render(map[string]any{
			"KLLICSRV_HOSTNAME": kh.Hostname, "KLLICSRV_HOST_CURRENT": kh.Current, "KLLICSRV_PRODUCT": kh.Product,
		}, fields))
	}
	return map[string]any{"wstrIterator": s.openLocked(famIterator, r.session, items), "lKeyCount": len(items)}, nil
}

func (s *Server) nextItems(r *request) (map[string]any, *PxgError) {
	count, err := argInt(r.args, "nCount")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.handleLocked(r, "szwIterator", famIterator)
	if err != nil {
		return nil, err
	}
	chunk := window(rs.items, int64(rs.pos), int64(rs.pos)+count)
	rs.pos += len(chunk)
	return map[string]any{
		"pData":     map[string]any{"KLCSP_ITERATOR_ARRAY": chunk},
		"bEOF":      rs.pos >= len(rs.items),
		"PxgRetVal": true,
	}, nil
}

var eventAttrs = map[string]bool{
	"event_db_id": true, "event_type": true, "event_type_display_name": true, "rise_time": true,
	"hostname": true, "hostdn": true, "GNRL_EA_SEVERITY": true, "GNRL_EA_DESCRIPTION": true, "product_name": true,
}

func (s *Server) createEvents(r *request) (map[string]any, *PxgError) {
	filter, err := argBareParams(r.args, "pFilter")
	if err != nil {
		return nil, err
	}
	fields, err := argStrings(r.args, "vecFieldsToReturn")
	if err != nil {
		return nil, err
	}
	order, err := argOrder(r.args, "vecFieldsToOrder")
	if err != nil {
		return nil, err
	}
	if _, err := argInt(r.args, "lifetimeSec"); err != nil {
		return nil, err
	}
	if err := checkFields(fields, eventAttrs, "vecFieldsToReturn"); err != nil {
		return nil, err
	}
	least, hasLeast, err := paramDateTime(filter, "KLEVP_EVENT_RISE_TIME_LEAST")
	if err != nil {
		return nil, err
	}
	greatest, hasGreatest, err := paramDateTime(filter, "KLEVP_EVENT_RISE_TIME_GREATEST")
	if err != nil {
		return nil, err
	}
	var severity int64
	if _, ok := filter["GNRL_EA_SEVERITY"]; ok {
		if severity, err = argInt(filter, "GNRL_EA_SEVERITY"); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []map[string]any
	for _, e := range s.events[r.vs] {
		if hasLeast && e.RiseTime.Before(least) || hasGreatest && e.RiseTime.After(greatest) {
			continue
		}
		if severity != 0 && int64(e.Severity) != severity {
			continue
		}
		recs = append(recs, map[string]any{
			"event_db_id": e.ID, "event_type": e.Type, "event_type_display_name": e.TypeName,
			"rise_time": e.RiseTime, "hostname": e.Hostname, "hostdn": e.HostDN,
			"GNRL_EA_SEVERITY": e.Severity, "GNRL_EA_DESCRIPTION": e.Description, "product_name": e.ProductName,
		})
	}
	sortRecords(recs, order)
	items := make([]map[string]any, len(recs))
	for i, rec := range recs {
		items[i] = render(rec, fields)
	}
	return map[string]any{"strIteratorId": s.openLocked(famEvents, r.session, items)}, nil
}

func (s *Server) eventCount(r *request) (map[string]any, *PxgError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.handleLocked(r, "strIteratorId", famEvents)
	if err != nil {
		return nil, err
	}
	return map[string]any{"PxgRetVal": len(rs.items)}, nil
}

func (s *Server) eventRange(r *request) (map[string]any, *PxgError) {
	start, err := argInt(r.args, "nStart")
	if err != nil {
		return nil, err
	}
	end, err := argInt(r.args, "nEnd")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs, err := s.handleLocked(r, "strIteratorId", famEvents)
	if err != nil {
		return nil, err
	}
	if s.eventRangeInclusive {
		end++
	}
	return map[string]any{"pParamsEvents": map[string]any{"KLEVP_EVENT_RANGE_ARRAY": window(rs.items, start, end)}}, nil
}
