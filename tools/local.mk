# tools/local.mk -- admin tools built on libdnsd
