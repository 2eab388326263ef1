package templates

// accountPages are the pages under /account/.
var accountPages = []pageSpec{}
