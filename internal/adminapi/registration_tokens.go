package adminapi

// registrationTokenEndpoints lists the operations on user registration tokens.
func (h *Handler) registrationTokenEndpoints() []endpoint { return nil }
