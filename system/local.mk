# system/local.mk -- what `make install` puts into the system besides the
# programs, the library and the man pages: the systemd unit, the
# sysusers.d entry for its user, and a first configuration (never over an
# existing one). configure's --with-systemdsystemunitdir and
# --with-sysusersdir say where (systemd's folders by default; "no": no
# unit).

# dnsd.service names the installed programs and configuration.
system/dnsd.service: $(srcdir)/system/dnsd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) system && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    $(srcdir)/system/dnsd.service.in >$@.tmp && mv $@.tmp $@
CLEANFILES += system/dnsd.service
EXTRA_DIST += system/dnsd.service.in system/sysusers.d/dnsd.conf system/dnsd.conf
# Built always, so that `make check` can verify it (t_systemd.sh).
noinst_DATA = system/dnsd.service

if INSTALL_SYSTEMD_UNIT
systemdsystemunit_DATA = system/dnsd.service
sysusers_DATA = system/sysusers.d/dnsd.conf
endif

# The first configuration, unless there is one: a file that is there is
# the administrator's, and uninstall removes it only if it is unchanged.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(sysconfdir)/dnsd'
	@f='$(DESTDIR)$(sysconfdir)/dnsd/dnsd.conf'; \
	if test -f "$$f"; then echo "keeping $$f"; \
	else echo " $(INSTALL_DATA) $(srcdir)/system/dnsd.conf $$f"; \
	  $(INSTALL_DATA) '$(srcdir)/system/dnsd.conf' "$$f"; fi

uninstall-local:
	@f='$(DESTDIR)$(sysconfdir)/dnsd/dnsd.conf'; \
	if cmp -s "$$f" '$(srcdir)/system/dnsd.conf'; then rm -f "$$f"; \
	elif test -f "$$f"; then echo "keeping $$f: it was changed"; fi
