package adminapi

// upstreamProviderEndpoints lists the operations on upstream OAuth providers.
func (h *Handler) upstreamProviderEndpoints() []endpoint { return nil }
