package adminapi

// userEmailEndpoints lists the operations on user emails.
func (h *Handler) userEmailEndpoints() []endpoint { return nil }
