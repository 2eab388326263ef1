package adminapi

// oauth2SessionEndpoints lists the operations on OAuth 2.0 sessions.
func (h *Handler) oauth2SessionEndpoints() []endpoint { return nil }
