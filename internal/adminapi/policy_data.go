package adminapi

// policyDataEndpoints lists the operations on policy data.
func (h *Handler) policyDataEndpoints() []endpoint { return nil }
