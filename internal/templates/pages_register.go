package templates

// registrationPages are the pages of /register and its steps.
var registrationPages = []pageSpec{}
