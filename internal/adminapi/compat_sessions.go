package adminapi

// compatSessionEndpoints lists the operations on compatibility sessions.
func (h *Handler) compatSessionEndpoints() []endpoint { return nil }
