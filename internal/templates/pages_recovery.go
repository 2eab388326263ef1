package templates

// recoveryPages are the pages of /recover and the recovery link.
var recoveryPages = []pageSpec{}
