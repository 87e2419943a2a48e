# zones/local.mk -- example configuration and zones
