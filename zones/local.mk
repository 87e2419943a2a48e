# zones/local.mk -- example configuration and zones
EXTRA_DIST += zones/dnsd.conf zones/svc.example.test.zone zones/example.test.zone \
	zones/services/billing.hcl
