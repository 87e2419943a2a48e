# man/local.mk -- hand-written mdoc pages
