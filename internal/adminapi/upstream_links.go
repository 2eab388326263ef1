package adminapi

// upstreamLinkEndpoints lists the operations on upstream OAuth links.
func (h *Handler) upstreamLinkEndpoints() []endpoint { return nil }
