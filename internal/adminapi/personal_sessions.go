package adminapi

// personalSessionEndpoints lists the operations on personal sessions.
func (h *Handler) personalSessionEndpoints() []endpoint { return nil }
