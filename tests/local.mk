# tests/local.mk -- unit tests (cmocka), integration tests (shell), fuzzers
