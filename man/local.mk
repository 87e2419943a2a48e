# man/local.mk -- hand-written mdoc pages
dist_man_MANS += man/dnsd.8 man/dnsd.conf.5
