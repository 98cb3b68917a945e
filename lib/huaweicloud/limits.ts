/**
 * The most this monitor reads of one answer. Every body has a ceiling, so a page that is out of
 * spec (a bad proxy, a service bug) fails its own call instead of the whole 128 MB function: past
 * it the read stops, the socket is closed and the call fails with `ResponseTooLargeError`.
 */

/**
 * A JSON API answer (VPCEP, SMN, Cloud Eye). The largest is a VPCEP page of 1,000 connections:
 * about 0.5 KB each, a few KB with a 512-character description written as `\uXXXX` escapes.
 */
export const MAX_API_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * The state object, which is streamed and never held as one text: ~110 bytes a connection, so
 * ~11 MB for 100,000 connections; this leaves room for six times that.
 */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

/**
 * Any other object read whole (the lease, an audit part of 10,000 records for the CLI, a state
 * being quarantined) and any other OBS answer (listings, errors).
 */
export const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
