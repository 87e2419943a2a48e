# tools/resolve.mk -- libdnsd-client and dnsd-resolve (c-ares)
