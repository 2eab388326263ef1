package adminapi

// userSessionEndpoints lists the operations on browser sessions.
func (h *Handler) userSessionEndpoints() []endpoint { return nil }
