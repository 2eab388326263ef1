// Package jobse2e holds the multi-process acceptance tests of the job
// queue: real `mas-cli worker` processes sharing one PostgreSQL database
// and one fake homeserver. It has no non-test code.
package jobse2e
