package adminapi

// siteEndpoints lists the operations on site-config and version.
func (h *Handler) siteEndpoints() []endpoint { return nil }
