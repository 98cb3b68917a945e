/**
 * The local cloud's own TLS identity, for serving its hosts over https so that certificate
 * verification is tested end to end. A CA made for this project alone and a leaf it signed for
 * localhost, *.localhost, *.obs.localhost, 127.0.0.1 and ::1, valid 2000–2126 (so no clock, and no
 * date a test runs on, makes them expire).
 *
 * Shipped rather than generated: Node has no API to issue a certificate, `openssl` is not promised
 * on a fresh CI machine, and a library to do it would be a dependency for tests alone. The CA's
 * private key was thrown away once the leaf was signed; the leaf's key below is public by being
 * here, so nothing but a test may ever trust this CA (trust it through NODE_EXTRA_CA_CERTS in a
 * test's own process, never system-wide).
 */

/** The CA that signed the leaf: trusted by no platform store, so a client that verifies refuses the leaf. */
export const TEST_CA_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBuzCCAWCgAwIBAgICEAAwCgYIKoZIzj0EAwIwQzFBMD8GA1UEAww4dnBjZXAt
bW9uaXRvciBsb2NhbCBjbG91ZCB0ZXN0IENBICh0cnVzdGVkIG5vd2hlcmUgZWxz
ZSkwIBcNMDAwMTAxMDAwMDAwWhgPMjEyNjEyMzEwMDAwMDBaMEMxQTA/BgNVBAMM
OHZwY2VwLW1vbml0b3IgbG9jYWwgY2xvdWQgdGVzdCBDQSAodHJ1c3RlZCBub3do
ZXJlIGVsc2UpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6bLa+WuS9gHllaBh
cmirbLrQK8AhnlfVLPSJqRlxSyuEJQFueKV4HDOqM5HboYVcyvas18zoLiR9Rbav
qZ+6NKNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0O
BBYEFBydmmm4IYLP+aKxiNQwsImbTCpbMAoGCCqGSM49BAMCA0kAMEYCIQCfHuCZ
aOd9KnwkQOY6iUxahLsOz+Cx4P0N0M3djW6syQIhAPxJAIYemn1bpb93Rvml9hiQ
6vtpQ4ulXM0YJTp2MvDu
-----END CERTIFICATE-----
`;

export const TEST_LEAF_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIICDTCCAbKgAwIBAgICEAEwCgYIKoZIzj0EAwIwQzFBMD8GA1UEAww4dnBjZXAt
bW9uaXRvciBsb2NhbCBjbG91ZCB0ZXN0IENBICh0cnVzdGVkIG5vd2hlcmUgZWxz
ZSkwIBcNMDAwMTAxMDAwMDAwWhgPMjEyNjEyMzEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABOZw4Tp2TcZOCyRP
H+I4iGtfa/neYLgkgTks1nW66JITkthEXvc0DlwV8wSwrhNC5xmHrpMvnkFEGqvZ
wA6Kp26jgcIwgb8wSgYDVR0RBEMwQYIJbG9jYWxob3N0ggsqLmxvY2FsaG9zdIIP
Ki5vYnMubG9jYWxob3N0hwR/AAABhxAAAAAAAAAAAAAAAAAAAAABMAwGA1UdEwEB
/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB8GA1Ud
IwQYMBaAFBydmmm4IYLP+aKxiNQwsImbTCpbMB0GA1UdDgQWBBRPOdrXntjLfZi0
SzRCe2ZFRpYKyjAKBggqhkjOPQQDAgNJADBGAiEAyP5VwrOIEi5lyF1qHYYLuWZw
7n5SxnvARKJE8U8BgA4CIQCcR+CBikkkopGbsvUCgtxaveipgi3DyUOLy2MjzeST
ZQ==
-----END CERTIFICATE-----
`;

export const TEST_LEAF_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiR9L/VbXcUGPLs8l
ny6G8EtrETVMV8j+pE5WFlgZGF+hRANCAATmcOE6dk3GTgskTx/iOIhrX2v53mC4
JIE5LNZ1uuiSE5LYRF73NA5cFfMEsK4TQucZh66TL55BRBqr2cAOiqdu
-----END PRIVATE KEY-----
`;
