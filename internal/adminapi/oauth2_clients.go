package adminapi

// oauth2ClientEndpoints lists the operations on OAuth 2.0 clients.
func (h *Handler) oauth2ClientEndpoints() []endpoint { return nil }
